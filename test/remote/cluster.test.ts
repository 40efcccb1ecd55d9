// The remote engine against a loopback "cluster" of real llama-servers: failover before the first
// token, an error event mid-answer, health that follows the upstream down and back up.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import type { DaemonEvent, StatusResult } from '../../daemon/protocol/protocol.js';
import { join } from 'node:path';
import { CLAUDE_UNDER_TEST, ROOT, runProgram, startDaemon, statusUntil, type RunningDaemon, type TestHome } from '../helpers/daemon.js';
import { ask, remoteHome, requestLines } from '../helpers/remote.js';
import { realLlama } from '../helpers/llama.js';
import { llamaUpstream, TcpRelay, type LlamaUpstream } from '../helpers/upstreams.js';

const found = realLlama();
const L = 'unavailable' in found ? null : found;
const skip = 'unavailable' in found ? found.unavailable : false;

const upstreamEvent = (url: string, healthy: boolean) => (e: DaemonEvent): e is Extract<DaemonEvent, { type: 'upstream' }> => e.type === 'upstream' && e.url === url && e.healthy === healthy;

async function cluster(t: TestContext, model: string): Promise<{ a: LlamaUpstream; b: LlamaUpstream; relayA: TcpRelay; home: TestHome; d: RunningDaemon; ready: StatusResult }> {
  const [a, b] = await Promise.all([llamaUpstream(t, { bin: L!.bin, model }), llamaUpstream(t, { bin: L!.bin, model })]);
  const relayA = await new TcpRelay(a.port).start(t);
  const home = remoteHome(t, { urls: [relayA.url, b.url] });
  const d = await startDaemon(t, home);
  const ready = await statusUntil(d, (s) => s.engine.state === 'ready' && (s.engine.upstreams ?? []).every((u) => u.healthy), 'both upstreams healthy');
  return { a, b, relayA, home, d, ready };
}

test('two llama-servers as a cluster: a request caught before its first token by the death of its upstream is answered by the other, the dead one is marked unhealthy, and it serves again when it returns', { skip }, async (t) => {
  const { a, b, relayA, home, d, ready } = await cluster(t, L!.eos);
  const e = ready.engine;
  assert.equal(e.kind, 'remote');
  assert.equal(e.pid, null, 'nothing of ours runs');
  assert.equal(e.model, L!.eos, "the upstream's own model id, from its /v1/models");
  assert.equal(e.contextWindow, 16384 - 8192, "llama-server's n_ctx, less the answer's share");
  assert.deepEqual(e.upstreams!.map((u) => u.url), [relayA.url, b.url]);
  assert.ok(e.upstreams!.every((u) => typeof u.latencyMs === 'number' && u.contextWindow === 8192));

  // The request is on its way to A when A dies: it never saw a byte of an answer.
  relayA.hold = true;
  const answer = ask(home, {});
  await once(relayA, 'held');
  await a.kill();
  const r = await answer;
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(((await r.json()) as { type: string }).type, 'message');
  const line = (await requestLines(d)).at(-1)!;
  assert.equal(line.upstream, b.url, 'answered by the other upstream');

  const down = await d.events.next(upstreamEvent(relayA.url, false), 'A marked unhealthy');
  assert.ok(down.lastError, 'with the reason');
  const st = await d.rpc.request('status');
  assert.equal(st.engine.state, 'ready', 'B still serves');
  assert.equal(st.engine.upstreams![0]!.healthy, false);
  assert.equal(st.endpoint.errors, 0, 'the client noticed nothing');

  await a.restart();
  await d.events.next(upstreamEvent(relayA.url, true), 'A healthy again', 30_000);
  const again = await ask(home, {});
  assert.equal(again.status, 200);
  await again.arrayBuffer();
  assert.equal((await requestLines(d)).at(-1)!.upstream, relayA.url, 'the first upstream in the list serves again');
});

test('an upstream that dies mid-answer: the stream ends with an Anthropic error event, the next request goes to the other upstream, and with both down requests wait for one to return', { skip }, async (t) => {
  const { a, b, relayA, home, d } = await cluster(t, L!.random);
  const r = await ask(home, { stream: true, max_tokens: 4000 });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  let text = '';
  while (!text.includes('event: content_block_delta')) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the stream ended before its first token: ${text}`);
    text += Buffer.from(value).toString('utf8');
  }
  await a.kill();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  assert.match(text, /event: error\ndata: .*"type":"overloaded_error"/);
  assert.match(text, new RegExp(`the upstream ${relayA.url.replace(/[.:/]/g, '\\$&')} stopped mid-answer`));
  assert.doesNotMatch(text, /message_stop/);
  await d.events.next(upstreamEvent(relayA.url, false), 'A marked unhealthy');

  const next = await ask(home, {});
  assert.equal(next.status, 200);
  await next.arrayBuffer();
  assert.equal((await requestLines(d)).at(-1)!.upstream, b.url);

  // Both down: the engine is in backoff with the reason, and a request waits for an upstream.
  await b.kill();
  const crash = await d.events.next((e) => e.type === 'crash', 'every upstream down');
  assert.equal((crash as Extract<DaemonEvent, { type: 'crash' }>).reason, 'unreachable');
  const st = await statusUntil(d, (s) => s.engine.state === 'backoff', 'backoff');
  assert.equal(st.engine.lastCrash?.reason, 'unreachable');
  const waiting = ask(home, {});
  await statusUntil(d, (s) => s.endpoint.inFlight === 1, 'the request waiting for an upstream');
  await b.restart();
  const served = await waiting;
  assert.equal(served.status, 200, 'served once an upstream came back');
  await served.arrayBuffer();
});

test('the real Claude Code through `cclocal --engine remote` against the cluster, before and after one upstream dies', { skip }, async (t) => {
  // A window Claude Code's first request fits in (about 5K tokens): -c 40960 less the answer's share.
  const [a, b] = await Promise.all([llamaUpstream(t, { bin: L!.bin, model: L!.eos, ctx: 40960 }), llamaUpstream(t, { bin: L!.bin, model: L!.eos, ctx: 40960 })]);
  const home = remoteHome(t, { urls: [a.url, b.url] });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => s.engine.state === 'ready' && (s.engine.upstreams ?? []).every((u) => u.healthy), 'both upstreams healthy');
  const claude = (args: string[]) => runProgram(join(ROOT, 'bin', 'cclocal'), ['--engine', 'remote', '--', ...args], {
    cwd: home.dir, env: { ...home.env, HOME: join(home.dir, 'userhome'), CCLOCAL_CLAUDE_BIN: CLAUDE_UNDER_TEST },
  });
  // The end-of-text model says nothing: what is asserted is the transport, not the words.
  const first = await claude(['-p', 'hi']);
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  assert.match(first.stderr, /remote: .*tiny-eos\.gguf, context 32768 tokens/);
  const served = await requestLines(d);
  assert.ok(served.length >= 1 && served.every((l) => l.status === 200 && l.upstream === a.url), JSON.stringify(served));

  await a.kill();
  await d.events.next(upstreamEvent(a.url, false), 'A marked unhealthy');
  const second = await claude(['-p', 'hi again']);
  assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
  const after = (await requestLines(d)).slice(served.length);
  assert.ok(after.length >= 1 && after.every((l) => l.status === 200 && l.upstream === b.url), JSON.stringify(after));
  assert.equal((await d.rpc.request('status')).endpoint.errors, 0);
});
