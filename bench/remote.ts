// What cclocald's endpoint adds in front of a remote upstream (engine "remote"): a real
// llama-server (the tiny random model, CPU, --parallel 8) straight versus through cclocald, in
// the same run, the two asked in turn: time to the first generated event; completed 8-token
// streams per second at 1 and at 8 concurrent streams; and what a failover costs: a request
// whose first upstream resets the connection before the first token (a TCP relay in this process
// that passes everything through but a Messages request), answered by the second, against the
// same request through cclocald to a healthy first upstream and sent straight to the second.
// Each client opens a fresh connection per request. A remote upstream runs on hardware of its
// own: where taskset is there, llama-server gets the last core (one thread) and this process and
// its daemons the others, so the figures are the endpoint's and not two programs sharing a core.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pickFreePort } from '../daemon/engine/free-port.js';
import type { StatusResult } from '../daemon/protocol/protocol.js';
import { realLlama } from '../test/helpers/llama.js';
import { untilHealthy } from '../test/helpers/upstreams.js';
import { benchDaemon, percentile, type BenchDaemon } from './daemon.js';
import { STREAM_TOKENS, timed } from './llama.js';

const TTFE_N = Number(process.env.BENCH_REMOTE_TTFE_N ?? 200);
/** Streams per target and concurrency level, in ROUNDS turns each. */
const TPUT_N = Number(process.env.BENCH_REMOTE_TPUT_N ?? 240);
const ROUNDS = 3;
const FAILOVER_N = Number(process.env.BENCH_REMOTE_FAILOVER_N ?? 100);
const PARALLEL = 8;
const DEADLINE_MS = 30_000;

/** A relay before `targetPort` that resets the connection of each Messages request (the health
 *  routes, /v1/models, /slots and count_tokens pass), so the daemon keeps finding it healthy. */
async function resettingRelay(targetPort: number): Promise<{ url: string; resets(): number; close(): Promise<void> }> {
  let resets = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = connect(targetPort, '127.0.0.1');
    open.add(down); open.add(up);
    const end = () => { open.delete(down); open.delete(up); down.destroy(); up.destroy(); };
    // Every chunk, not only a connection's first: the daemon keeps its upstream connections alive,
    // so a Messages request may follow a probe on one.
    down.on('data', (c: Buffer) => {
      if (c.toString('latin1', 0, 18).startsWith('POST /v1/messages ')) {
        resets++;
        open.delete(down); open.delete(up);
        down.resetAndDestroy();
        up.destroy();
        return;
      }
      up.write(c);
    });
    up.on('data', (c: Buffer) => down.write(c));
    for (const s of [down, up]) { s.on('close', end); s.on('error', end); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resets: () => resets,
    close: () => { for (const s of open) s.destroy(); return new Promise<void>((resolve) => server.close(() => resolve())); },
  };
}

/** The core llama-server is pinned to, with this process moved off it; null where it cannot be. */
function splitCores(): number | null {
  const n = availableParallelism();
  if (n < 2) return null;
  const last = n - 1;
  const r = spawnSync('taskset', ['-cp', `0-${last - 1}`, String(process.pid)], { stdio: 'ignore' });
  return r.status === 0 ? last : null;
}

async function startLlama(bin: string, model: string, core: number | null): Promise<{ url: string; proc: ChildProcess }> {
  const port = await pickFreePort();
  const url = `http://127.0.0.1:${port}`;
  // -c is divided between the slots: 4096 tokens each.
  const args = ['-m', model, '--host', '127.0.0.1', '--port', String(port), '-c', String(4096 * PARALLEL), '--parallel', String(PARALLEL)];
  const proc = core === null ? spawn(bin, args, { stdio: 'ignore' }) : spawn('taskset', ['-c', String(core), bin, ...args, '--threads', '1'], { stdio: 'ignore' });
  try {
    await untilHealthy(url, proc, DEADLINE_MS);
  } catch (err) {
    await stop(proc);
    throw err;
  }
  return { url, proc };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = once(proc, 'exit');
  proc.kill('SIGKILL');
  await gone;
}

async function statusUntil(d: BenchDaemon, ok: (s: StatusResult) => boolean, what: string, deadlineMs = DEADLINE_MS): Promise<StatusResult> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const s = await d.rpc.request('status');
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`cclocald: ${what} not within ${deadlineMs} ms (engine ${s.engine.state}: ${JSON.stringify(s.engine.upstreams)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const allHealthy = (s: StatusResult) => s.engine.state === 'ready' && (s.engine.upstreams ?? []).length > 0 && s.engine.upstreams!.every((u) => u.healthy);

async function remoteDaemon(urls: string[]): Promise<BenchDaemon> {
  // autoload (the default) starts watching the upstreams at once. An endpoint port of its own:
  // two of these run at once.
  const port = String(await pickFreePort());
  const d = await benchDaemon({ engine: 'remote', remote: { urls, concurrency: PARALLEL, probeIntervalMs: 200, probeTimeoutMs: 3000 } }, false, { CCLOCAL_ENGINE: 'remote', CCLOCAL_PORT: port });
  try {
    await statusUntil(d, allHealthy, 'every upstream healthy');
  } catch (err) {
    await d.close();
    throw err;
  }
  return d;
}

/** Wall ms for `n` 8-token streams, `conc` at a time. */
async function streams(base: string, conc: number, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < n) { next++; await timed(base, true, STREAM_TOKENS); }
  }));
  return performance.now() - t0;
}

const sort = (a: number[]) => a.sort((x, y) => x - y);
const ms = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} ms`;
const ratio = (a: number, b: number) => `×${(a / b).toFixed(3)}`;

export async function remoteOverhead(): Promise<string[]> {
  const found = realLlama();
  if ('unavailable' in found) return [`skipped: ${found.unavailable}`];
  let llama: { url: string; proc: ChildProcess } | null = null;
  let relay: Awaited<ReturnType<typeof resettingRelay>> | null = null;
  let a: BenchDaemon | null = null;
  let b: BenchDaemon | null = null;
  try {
    const core = splitCores();
    llama = await startLlama(found.bin, found.random, core);
    const direct = llama.url;
    a = await remoteDaemon([direct]);
    const ours = (await a.rpc.request('status')).endpoint.url;
    for (let i = 0; i < 10; i++) { await timed(direct, true, 1); await timed(ours, true, 1); }

    // 1. Time to the first event, the two asked in turn.
    const ttfe = { direct: [] as number[], ours: [] as number[] };
    for (let i = 0; i < TTFE_N; i++) {
      ttfe.direct.push((await timed(direct, true, 1))[0]);
      ttfe.ours.push((await timed(ours, true, 1))[0]);
    }
    sort(ttfe.direct); sort(ttfe.ours);

    // 2. Throughput, in rounds that alternate the two.
    const rate: Record<number, { direct: number; ours: number }> = {};
    for (const conc of [1, PARALLEL]) {
      await streams(direct, conc, conc); await streams(ours, conc, conc);
      let td = 0, to = 0;
      const per = Math.max(conc, Math.round(TPUT_N / ROUNDS));
      for (let r = 0; r < ROUNDS; r++) { td += await streams(direct, conc, per); to += await streams(ours, conc, per); }
      rate[conc] = { direct: (per * ROUNDS) / (td / 1000), ours: (per * ROUNDS) / (to / 1000) };
    }

    // 3. Failover: [relay, direct]; before each timed request the relay is healthy again.
    relay = await resettingRelay(Number(new URL(direct).port));
    b = await remoteDaemon([relay.url, direct]);
    const failing = (await b.rpc.request('status')).endpoint.url;
    const fo = { failover: [] as number[], healthy: [] as number[], direct: [] as number[] };
    let odd = 0;
    for (let i = -3; i < FAILOVER_N; i++) {
      const before = await statusUntil(b, allHealthy, 'the relay healthy again');
      const resets = relay.resets();
      const f = (await timed(failing, true, 1))[0];
      const after = await b.rpc.request('status');
      // Each timed one must have been reset once and retried once, no more.
      const clean = relay.resets() - resets === 1 && after.endpoint.retries - before.endpoint.retries === 1;
      const h = (await timed(ours, true, 1))[0];
      const s = (await timed(direct, true, 1))[0];
      if (i < 0) continue; // warm-up
      if (!clean) odd++;
      fo.failover.push(f); fo.healthy.push(h); fo.direct.push(s);
    }
    sort(fo.failover); sort(fo.healthy); sort(fo.direct);

    const p = (arr: number[], q: number) => percentile(arr, q);
    const add = (m: number[], base: number[], q: number) => `${ms(p(m, q) - p(base, q))} at p${q} (${ratio(p(m, q), p(base, q))})`;
    const r = (conc: number) => `${rate[conc]!.ours.toFixed(1)} vs ${rate[conc]!.direct.toFixed(1)}/s direct (${ratio(rate[conc]!.ours, rate[conc]!.direct)})`;
    return [
      core === null ? 'llama-server shares the cores with cclocald (no taskset, or one core)' : `llama-server pinned to core ${core} (one thread), cclocald and this client on the others`,
      `llama-server (tiny random model, CPU, --parallel ${PARALLEL}) straight: first event p50 ${p(ttfe.direct, 50).toFixed(2)} ms, p90 ${p(ttfe.direct, 90).toFixed(2)} ms; ${STREAM_TOKENS}-token streams ${rate[1]!.direct.toFixed(1)}/s at 1 stream, ${rate[PARALLEL]!.direct.toFixed(1)}/s at ${PARALLEL}`,
      `through cclocald (remote engine, concurrency ${PARALLEL}): first event ${add(ttfe.ours, ttfe.direct, 50)}, ${add(ttfe.ours, ttfe.direct, 90)}`,
      `through cclocald: completed ${STREAM_TOKENS}-token streams at 1 stream ${r(1)}, at ${PARALLEL} streams ${r(PARALLEL)}`,
      `failover (first upstream resets the connection before the first token), first event: ${ms(p(fo.failover, 50) - p(fo.healthy, 50))} at p50 over cclocald with a healthy first upstream (${ratio(p(fo.failover, 50), p(fo.healthy, 50))}), ${ms(p(fo.failover, 50) - p(fo.direct, 50))} over straight to the second (${ratio(p(fo.failover, 50), p(fo.direct, 50))}); p50 ${p(fo.failover, 50).toFixed(2)} / ${p(fo.healthy, 50).toFixed(2)} / ${p(fo.direct, 50).toFixed(2)} ms, ${FAILOVER_N} requests${odd ? `, ${odd} not reset and retried exactly once` : ', each reset and retried once'}`,
    ];
  } finally {
    await b?.close();
    await a?.close();
    await relay?.close();
    if (llama) await stop(llama.proc);
  }
}
