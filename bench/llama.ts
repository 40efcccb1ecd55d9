// The endpoint's overhead on a real engine: llama-server (the build ./install.sh makes) with the
// tiny random model, straight versus through a bare Node proxy process (what one more process on
// the path costs: on two cores llama-server's threads keep both busy while it generates) versus
// cclocald's endpoint versus claude-code-router, in the same run: time to the first generated
// event, a whole stream, and small JSON answers. Each client opens a fresh connection per request.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pickFreePort } from '../daemon/engine/free-port.js';
import { ROOT } from '../test/helpers/daemon.js';
import { realLlama } from '../test/helpers/llama.js';
import { startCcr } from './ccr.js';
import { benchDaemon, percentile } from './daemon.js';

const TTFE_N = Number(process.env.BENCH_LLAMA_TTFE_N ?? 100);
const STREAM_N = Number(process.env.BENCH_LLAMA_STREAM_N ?? 10);
const JSON_N = Number(process.env.BENCH_LLAMA_JSON_N ?? 100);
// Greedy, and short of the token (about the 10th to 15th) where the random model's text stops parsing in
// the chat template's format (llama-server then ends the stream with an error event).
export const STREAM_TOKENS = 8;

/** ms to the first content_block_delta (or to the end for JSON), and to the end. */
export function timed(base: string, stream: boolean, maxTokens: number, auth: Record<string, string> = {}): Promise<[number, number]> {
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: maxTokens, temperature: 0, stream, messages: [{ role: 'user', content: 'Write a story.' }] });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let failed = false;
    const req = request(new URL('/v1/messages', base), { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...auth } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (!first && c.includes('content_block_delta')) first = performance.now() - t0;
        if (c.includes('event: error')) failed = true;
      });
      res.on('end', () => {
        const end = performance.now() - t0;
        res.statusCode === 200 && !failed ? resolve([first || end, end]) : reject(new Error(`HTTP ${res.statusCode}${failed ? ', an error event' : ''} from ${base}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function measure(base: string, auth: Record<string, string> = {}) {
  for (let i = 0; i < 10; i++) await timed(base, true, 1, auth);
  const ttfe: number[] = [];
  for (let i = 0; i < TTFE_N; i++) ttfe.push((await timed(base, true, 1, auth))[0]);
  const whole: number[] = [];
  for (let i = 0; i < STREAM_N; i++) whole.push((await timed(base, true, STREAM_TOKENS, auth))[1]);
  const json: number[] = [];
  for (let i = 0; i < JSON_N; i++) json.push((await timed(base, false, 8, auth))[1]);
  const sort = (a: number[]) => a.sort((x, y) => x - y);
  return { ttfe: sort(ttfe), whole: sort(whole), json: sort(json) };
}

type Measured = Awaited<ReturnType<typeof measure>>;
const p50 = (a: number[]) => percentile(a, 50);

function lines(name: string, m: Measured, straight: Measured): string[] {
  const add = (k: keyof Measured) => `${(p50(m[k]) - p50(straight[k])).toFixed(2)} ms (×${(p50(m[k]) / p50(straight[k])).toFixed(3)})`;
  return [`${name}: added at p50, first event ${add('ttfe')}, ${STREAM_TOKENS}-token stream ${add('whole')}, JSON answer ${add('json')}`];
}

async function throughBareProxy(engineUrl: string, auth: Record<string, string>): Promise<Measured> {
  const port = await pickFreePort();
  const proxy = spawn(process.execPath, [join(ROOT, 'bench', 'fixtures', 'bare-proxy.mjs'), String(port), new URL(engineUrl).port], { stdio: 'ignore' });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (;;) { try { await timed(base, false, 1, auth); break; } catch { await new Promise((r) => setTimeout(r, 20)); } }
    return await measure(base, auth);
  } finally {
    proxy.kill();
    await once(proxy, 'exit');
  }
}

export async function llamaOverhead(): Promise<string[]> {
  const found = realLlama();
  if ('unavailable' in found) return [`skipped: ${found.unavailable}`];
  const d = await benchDaemon({}, false, { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: found.bin });
  try {
    await d.rpc.request('load', { model: found.random });
    const s = await d.rpc.request('status');
    // The key the daemon gave its engine: straight requests present it, as the endpoint does.
    const key = readFileSync(join(d.dir, 'h', 'engine.key'), 'utf8').trim();
    const auth = { authorization: `Bearer ${key}` };
    const straight = await measure(s.engine.url!, auth);
    const bare = await throughBareProxy(s.engine.url!, auth);
    const ours = await measure(s.endpoint.url);
    const f = (a: number[]) => p50(a).toFixed(2);
    const out = [
      `llama-server (tiny random model, CPU) straight, p50: first event ${f(straight.ttfe)} ms, ${STREAM_TOKENS}-token stream ${f(straight.whole)} ms, JSON answer (8 tokens) ${f(straight.json)} ms`,
      ...lines('through a bare Node proxy process', bare, straight),
      ...lines('through cclocald', ours, straight),
      ...lines('cclocald beyond the bare proxy', ours, bare),
    ];
    const peer = await startCcr(s.engine.url!, found.random, key);
    if (!peer) return [...out, 'claude-code-router: not installed or did not start; skipped'];
    try {
      out.push(...lines(`through claude-code-router ${peer.version}`, await measure(peer.base), straight));
    } finally {
      await peer.close();
    }
    return out;
  } finally {
    await d.close();
  }
}
