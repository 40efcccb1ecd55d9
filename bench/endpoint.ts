// Through the endpoint versus straight to the engine, in the same run, on loopback: added time to
// first generated event, full-stream time of a 4,000-event answer, small JSON requests per second.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { FAKE_ENGINE } from '../test/helpers/daemon.js';
import { pickFreePort } from '../daemon/engine/free-port.js';
import { probeReady } from '../daemon/engine/engine-process.js';
import { vllmMlx } from '../daemon/engine/kinds.js';
import { startCcr } from './ccr.js';
import { benchDaemon, percentile } from './daemon.js';

const TTFB_N = Number(process.env.BENCH_TTFB_N ?? 300);
const RPS_N = Number(process.env.BENCH_RPS_N ?? 1000);
const LONG_EVENTS = 4000;
const LONG_ROUNDS = Number(process.env.BENCH_LONG_ROUNDS ?? 5);
// 1 ms an event is 1,000 tokens a second: faster than any local model, still a paced stream.
const PACE_MS = 1;
const PACED_ROUNDS = Number(process.env.BENCH_PACED_ROUNDS ?? 3);

function body(stream: boolean, events: number, model: string, paceMs = 0): string {
  return JSON.stringify({ model, max_tokens: 64, stream, metadata: { user_id: `events:${events}:${paceMs}` }, messages: [{ role: 'user', content: 'hi' }] });
}

/** ms to the first content_block_delta, and to the end of the stream. */
async function timeStream(base: string, events: number, model: string, paceMs = 0): Promise<[number, number]> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(true, events, model, paceMs) });
  let first = 0;
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!first && decoder.decode(value, { stream: true }).includes('content_block_delta')) first = performance.now() - t0;
  }
  return [first, performance.now() - t0];
}

async function rps(base: string, model: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < RPS_N; i++) {
    const r = await fetch(`${base}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(false, 3, model) });
    await r.arrayBuffer();
  }
  return (RPS_N * 1000) / (performance.now() - t0);
}

async function measure(base: string, model: string) {
  for (let i = 0; i < 30; i++) await timeStream(base, 3, model); // warm-up
  const ttfb: number[] = [];
  for (let i = 0; i < TTFB_N; i++) ttfb.push((await timeStream(base, 3, model))[0]);
  const long: number[] = [];
  for (let i = 0; i < LONG_ROUNDS; i++) long.push((await timeStream(base, LONG_EVENTS, model))[1]);
  const paced: number[] = [];
  for (let i = 0; i < PACED_ROUNDS; i++) paced.push((await timeStream(base, LONG_EVENTS, model, PACE_MS))[1]);
  return { ttfb: ttfb.sort((a, b) => a - b), long: long.sort((a, b) => a - b), paced: paced.sort((a, b) => a - b), rps: await rps(base, model) };
}

export async function endpointOverhead(): Promise<string[]> {
  const model = 'mlx-community/gemma-4-e4b-it-4bit';
  const port = await pickFreePort();
  const direct = spawn(FAKE_ENGINE, ['serve', model, '--port', String(port)], { stdio: 'ignore', env: { ...process.env, FAKE_VLLM_LOAD_MS: '0' } });
  const d = await benchDaemon({}, false);
  try {
    while (!(await probeReady(`http://127.0.0.1:${port}/health`, vllmMlx.isReady))) await new Promise((r) => setTimeout(r, 20));
    const loaded = await d.rpc.request('load', { model: 'gemma-light' });
    void loaded;
    const status = await d.rpc.request('status');
    const viaEndpoint = await measure(status.endpoint.url, 'claude-sonnet-4-5');
    const straight = await measure(`http://127.0.0.1:${port}`, model);
    const f = (n: number) => n.toFixed(3);
    const p = (a: number[], q: number) => percentile(a, q);
    const med = (a: number[]) => p(a, 50);
    const peerLines = await measurePeer(`http://127.0.0.1:${port}`, model, straight, viaEndpoint);
    return [
      `time to first event, straight: p50 ${f(p(straight.ttfb, 50))} ms, p99 ${f(p(straight.ttfb, 99))} ms; through the endpoint: p50 ${f(p(viaEndpoint.ttfb, 50))} ms, p99 ${f(p(viaEndpoint.ttfb, 99))} ms`,
      `added time to first event: p50 ${f(p(viaEndpoint.ttfb, 50) - p(straight.ttfb, 50))} ms, p99 ${f(p(viaEndpoint.ttfb, 99) - p(straight.ttfb, 99))} ms (target: < 1 ms at p50)`,
      `${LONG_EVENTS}-event stream, median of ${LONG_ROUNDS}: straight ${med(straight.long).toFixed(1)} ms, endpoint ${med(viaEndpoint.long).toFixed(1)} ms, ratio ×${(med(viaEndpoint.long) / med(straight.long)).toFixed(3)} (a burst with no generation time: the extra hop's parse and write per chunk)`,
      `${LONG_EVENTS}-event stream paced at ${PACE_MS} ms/event, median of ${PACED_ROUNDS}: straight ${med(straight.paced).toFixed(1)} ms, endpoint ${med(viaEndpoint.paced).toFixed(1)} ms, ratio ×${(med(viaEndpoint.paced) / med(straight.paced)).toFixed(4)}`,
      `small JSON requests, one client: straight ${straight.rps.toFixed(0)}/s, endpoint ${viaEndpoint.rps.toFixed(0)}/s, ratio ×${(viaEndpoint.rps / straight.rps).toFixed(2)}`,
      ...peerLines,
    ];
  } finally {
    direct.kill('SIGTERM');
    await once(direct, 'exit');
    await d.close();
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** The same figures through claude-code-router, and cclocal's endpoint against it. */
async function measurePeer(engineUrl: string, model: string, straight: Measured, ours: Measured): Promise<string[]> {
  const peer = await startCcr(engineUrl, model);
  if (!peer) return ['claude-code-router: not installed or did not start; skipped'];
  try {
    const ccr = await measure(peer.base, 'claude-sonnet-4-5');
    const p50 = (a: number[]) => percentile(a, 50);
    const added = (m: Measured) => p50(m.ttfb) - p50(straight.ttfb);
    return [
      `claude-code-router ${peer.version}, same engine: added time to first event p50 ${added(ccr).toFixed(3)} ms (cclocal ${added(ours).toFixed(3)} ms), p99 ${(percentile(ccr.ttfb, 99) - percentile(straight.ttfb, 99)).toFixed(3)} ms`,
      `claude-code-router ${LONG_EVENTS}-event burst ${p50(ccr.long).toFixed(1)} ms (×${(p50(ccr.long) / p50(straight.long)).toFixed(3)} of straight; cclocal ×${(p50(ours.long) / p50(straight.long)).toFixed(3)}), paced ×${(p50(ccr.paced) / p50(straight.paced)).toFixed(4)} (cclocal ×${(p50(ours.paced) / p50(straight.paced)).toFixed(4)})`,
      `claude-code-router small JSON ${ccr.rps.toFixed(0)}/s (×${(ccr.rps / straight.rps).toFixed(2)} of straight; cclocal ×${(ours.rps / straight.rps).toFixed(2)}); cclocal/ccr throughput ×${(ours.rps / ccr.rps).toFixed(2)}`,
    ];
  } finally {
    await peer.close();
  }
}
