// Control-socket round trip for `status` against a bare Node Unix-socket line echo, same run.
import { createServer, connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readLines } from '../daemon/protocol/framing.js';
import { benchDaemon, percentile } from './daemon.js';

const N = Number(process.env.BENCH_RTT_CALLS ?? 2000);

async function echoBaseline(): Promise<number[]> {
  const dir = mkdtempSync('/tmp/cclb-echo-');
  const path = join(dir, 'echo.sock');
  const server = createServer((s) => readLines(s, { onLine: (l) => s.write(l + '\n'), onOverflow: () => undefined }));
  await new Promise<void>((r) => server.listen(path, r));
  const sock = connect(path);
  await new Promise((r) => sock.once('connect', r));
  let pending: (() => void) | null = null;
  readLines(sock, { onLine: () => pending?.(), onOverflow: () => undefined });
  const times: number[] = [];
  const msg = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'status' }) + '\n';
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((r) => { pending = r; sock.write(msg); });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  sock.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
  return times;
}

export async function socketRtt(): Promise<string[]> {
  const base = (await echoBaseline()).sort((a, b) => a - b);
  const d = await benchDaemon();
  const times: number[] = [];
  try {
    for (let i = 0; i < 50; i++) await d.rpc.request('status'); // warm-up (JIT)
    for (let i = 0; i < N; i++) {
      const t0 = process.hrtime.bigint();
      await d.rpc.request('status');
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    await d.close();
  }
  times.sort((a, b) => a - b);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const cps = (a: number[]) => (a.length * 1000) / sum(a);
  const f = (n: number) => n.toFixed(3);
  return [
    `status round trip (${N} calls): p50 ${f(percentile(times, 50))} ms, p99 ${f(percentile(times, 99))} ms, ${cps(times).toFixed(0)} calls/s`,
    `bare Unix-socket echo baseline:  p50 ${f(percentile(base, 50))} ms, p99 ${f(percentile(base, 99))} ms, ${cps(base).toFixed(0)} calls/s`,
    `ratio status/echo: p50 ×${(percentile(times, 50) / percentile(base, 50)).toFixed(2)}, p99 ×${(percentile(times, 99) / percentile(base, 99)).toFixed(2)}, throughput ×${(cps(times) / cps(base)).toFixed(2)}`,
  ];
}
