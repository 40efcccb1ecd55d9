// The connection towards the engine, against an engine that writes a response's headers and body
// in two small writes without TCP_NODELAY (Python's http.server; cpp-httplib's default): small
// JSON answers straight from the engine on fresh connections (the baseline), on a kept-alive
// connection (where delayed ACK meets Nagle), through a bare Node proxy in a process of its own
// (what one more process on the path costs this machine), and through cclocald's endpoint.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { pickFreePort } from '../daemon/engine/free-port.js';
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
    const port = await pickFreePort();
    const bare = spawn(process.execPath, [join(ROOT, 'bench', 'fixtures', 'bare-proxy.mjs'), String(port), new URL(s.engine.url!).port], { stdio: 'ignore' });
    let hop: number[];
    try {
      for (;;) { try { await post(`http://127.0.0.1:${port}`, false); break; } catch { await new Promise((r) => setTimeout(r, 20)); } }
      hop = await sample(`http://127.0.0.1:${port}`, false);
    } finally {
      bare.kill();
      await once(bare, 'exit');
    }
    const ours = await sample(s.endpoint.url, false);
    // Claude Code keeps its connection to the gateway (the endpoint answers with TCP_NODELAY).
    const client = new Agent({ keepAlive: true, maxSockets: 1 });
    const oursKept = await sample(s.endpoint.url, client);
    client.destroy();
    const p = (a: number[], q: number) => percentile(a, q).toFixed(2);
    return [
      `an engine on Python's http.server (headers and body in two writes, no TCP_NODELAY), ${N} small JSON answers each:`,
      `straight, fresh connections: p50 ${p(fresh, 50)} ms, p99 ${p(fresh, 99)} ms (the baseline)`,
      `straight, one kept-alive connection: p50 ${p(keptAlive, 50)} ms, p99 ${p(keptAlive, 99)} ms (delayed ACK against Nagle: ×${(percentile(keptAlive, 50) / percentile(fresh, 50)).toFixed(1)})`,
      `through a bare Node proxy process: p50 ${p(hop, 50)} ms; added at p50 ${(percentile(hop, 50) - percentile(fresh, 50)).toFixed(2)} ms (one more process on the path, on this machine)`,
      `through the endpoint, a fresh client connection each: p50 ${p(ours, 50)} ms, p99 ${p(ours, 99)} ms; added at p50 ${(percentile(ours, 50) - percentile(fresh, 50)).toFixed(2)} ms`,
      `through the endpoint, the client's connection kept (as Claude Code's): p50 ${p(oursKept, 50)} ms, p99 ${p(oursKept, 99)} ms; added at p50 ${(percentile(oursKept, 50) - percentile(fresh, 50)).toFixed(2)} ms, of which beyond the bare proxy ${(percentile(oursKept, 50) - percentile(hop, 50)).toFixed(2)} ms (target: < 1 ms)`,
    ];
  } finally {
    await d.close();
  }
}
