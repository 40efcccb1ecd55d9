// The connection towards the engine, against an engine that writes a response's headers and body
// in two small writes without TCP_NODELAY (Python's http.server; cpp-httplib's default): small
// JSON answers straight from the engine on fresh connections (the baseline), on a kept-alive
// connection (where delayed ACK meets Nagle), and through cclocald's endpoint.
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { ROOT } from '../test/helpers/daemon.js';
import { benchDaemon, percentile } from './daemon.js';

const N = Number(process.env.BENCH_CONN_N ?? 300);
const ENGINE = join(ROOT, 'bench', 'fixtures', 'plain-http-engine.py');
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });

function post(url: string, agent: Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(new URL('/v1/messages', url), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

async function sample(url: string, agent: Agent | false): Promise<number[]> {
  for (let i = 0; i < 20; i++) await post(url, agent);
  const out: number[] = [];
  for (let i = 0; i < N; i++) out.push(await post(url, agent));
  return out.sort((a, b) => a - b);
}

export async function connectionPolicy(): Promise<string[]> {
  const d = await benchDaemon({}, false, { CCLOCAL_ENGINE_BIN: ENGINE });
  try {
    await d.rpc.request('load', { model: 'gemma-light' });
    const s = await d.rpc.request('status');
    const fresh = await sample(s.engine.url!, false);
    const kept = new Agent({ keepAlive: true, maxSockets: 1 });
    const keptAlive = await sample(s.engine.url!, kept);
    kept.destroy();
    const ours = await sample(s.endpoint.url, false);
    const p = (a: number[], q: number) => percentile(a, q).toFixed(2);
    return [
      `an engine on Python's http.server (headers and body in two writes, no TCP_NODELAY), ${N} small JSON answers each:`,
      `straight, fresh connections: p50 ${p(fresh, 50)} ms, p99 ${p(fresh, 99)} ms (the baseline)`,
      `straight, one kept-alive connection: p50 ${p(keptAlive, 50)} ms, p99 ${p(keptAlive, 99)} ms (delayed ACK against Nagle: ×${(percentile(keptAlive, 50) / percentile(fresh, 50)).toFixed(1)})`,
      `through the endpoint: p50 ${p(ours, 50)} ms, p99 ${p(ours, 99)} ms; added at p50 ${(percentile(ours, 50) - percentile(fresh, 50)).toFixed(2)} ms (target: < 1 ms)`,
    ];
  } finally {
    await d.close();
  }
}
