// The real engine: cclocald supervising llama.cpp's llama-server (built from the source
// node-llama-cpp ships) with tiny Qwen2 models made at test time. Nothing here is a stand-in:
// the HTTP, the SSE, the tokenizer, the errors and the start-up are llama-server's own.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { test, type TestContext } from 'node:test';
import { llamaServer } from '../../daemon/engine/kinds.js';
import { relay } from '../../daemon/endpoint/relay.js';
import { isState, isType } from '../helpers/events.js';
import type { StatusResult } from '../../daemon/protocol/protocol.js';
import { isAlive, makeHome, startDaemon, statusUntil, type RunningDaemon } from '../helpers/daemon.js';
import { engineAuth, realLlama } from '../helpers/llama.js';
import { onCleanup } from '../helpers/temp-home.js';
import { loopbackTransport } from '../../daemon/endpoint/transport.js';

const LOCAL = { transport: loopbackTransport, label: 'the local engine', remote: false };

const found = realLlama();
const L = 'unavailable' in found ? null : found;
const skip = 'unavailable' in found ? found.unavailable : false;

interface LlamaRig {
  d: RunningDaemon;
  /** The header that presents the engine's key, to ask it directly. */
  auth(): Record<string, string>;
  /** `status`, remembering each engine pid seen: none may outlive the test. */
  status(): Promise<StatusResult>;
  /** Loads a model and returns the status once it is ready. */
  ready(model: string, contextWindow?: number): Promise<StatusResult>;
}

/** A daemon whose engine is llama-server, found by the daemon's own lookup in the build cache. */
async function llamaDaemon(t: TestContext, config: Record<string, unknown> = {}): Promise<LlamaRig> {
  const home = makeHome(t, { config, env: { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: undefined, CCLOCAL_BUILD_CACHE: L!.buildCache } });
  const pids = new Set<number>();
  // Registered before the daemon's own cleanup, so it runs after the daemon has stopped.
  onCleanup(t, () => {
    const late = [...pids].filter(isAlive);
    for (const pid of late) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    if (late.length) throw new Error(`llama-server outlived the test: ${late.join(', ')}`);
  });
  const d = await startDaemon(t, home);
  const status = async () => {
    const st = await d.rpc.request('status');
    if (st.engine.pid) pids.add(st.engine.pid);
    return st;
  };
  return {
    d, status, auth: () => engineAuth(home),
    async ready(model, contextWindow) {
      const r = await d.rpc.request('load', { model, ...(contextWindow ? { contextWindow } : {}) });
      assert.equal(r.kind, 'llama-server');
      return status();
    },
  };
}

/** A window under the default floor (config.ts CONTEXT_FLOOR), its default: overflows stay cheap. */
const SMALL_WINDOW = { defaultContextWindow: 4096, contextFloor: 4096 };

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

function sseEvents(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text.split('\n\n').filter((b) => b.includes('event: ')).map((b) => ({
    event: /event: (\S+)/.exec(b)![1]!,
    data: JSON.parse(/data: (.*)/.exec(b)?.[1] ?? '{}') as Record<string, unknown>,
  }));
}

// Greedy: sampled, the random model's text stops parsing in the template's format now and then
// within 8 tokens (llama-server then ends with an error event); greedy, always at the 15th token.
const hello = (extra: Record<string, unknown> = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 8, temperature: 0, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });

test('llama-server starts, becomes ready, and answers streamed and JSON through the endpoint', { skip }, async (t) => {
  const { d, ready } = await llamaDaemon(t);
  const s = await ready(L!.random);
  await d.events.next(isState('loading'), 'loading first');
  assert.equal(s.engine.kind, 'llama-server');
  assert.equal(s.engine.bin, L!.bin, 'the daemon found the build by itself');
  assert.equal(s.engine.model, L!.random);
  const streamed = await post(s.endpoint.url, '/v1/messages', hello({ stream: true }));
  assert.equal(streamed.status, 200);
  const ev = sseEvents(streamed.text);
  assert.equal(ev[0]!.event, 'message_start');
  assert.ok(((ev[0]!.data.message as { usage: { input_tokens: number } }).usage.input_tokens) > 3, 'input_tokens from its tokenizer');
  assert.ok(ev.some((e) => e.event === 'content_block_delta'), 'the random model generates text');
  assert.equal(ev.at(-1)!.event, 'message_stop');
  assert.equal((ev.find((e) => e.event === 'message_delta')!.data.delta as { stop_reason: string }).stop_reason, 'max_tokens');
  const json = await post(s.endpoint.url, '/v1/messages', hello());
  assert.equal(json.status, 200, json.text);
  const msg = JSON.parse(json.text) as { type: string; content: Array<{ type: string }>; stop_reason: string; usage: { output_tokens: number } };
  assert.equal(msg.type, 'message');
  assert.equal(msg.stop_reason, 'max_tokens');
  assert.equal(msg.usage.output_tokens, 8);
});

test("count_tokens through the endpoint is llama-server's own tokenizer", { skip }, async (t) => {
  const { ready, auth } = await llamaDaemon(t);
  const s = await ready(L!.eos);
  const count = async (url: string, text: string, headers?: Record<string, string>) => (JSON.parse((await post(url, '/v1/messages/count_tokens', { model: 'x', messages: [{ role: 'user', content: text }] }, headers)).text) as { input_tokens: number }).input_tokens;
  const short = await count(s.endpoint.url, 'hello');
  const long = await count(s.endpoint.url, 'hello '.repeat(200));
  assert.equal(short, await count(s.engine.url!, 'hello', auth()), 'the same figure as llama-server direct');
  assert.ok(long >= short + 199, `200 words are at least 199 tokens more (${short} → ${long})`);
});

test('a prompt over the window is refused as prompt is too long, and so is llama-server\'s own overflow', { skip }, async (t) => {
  const { ready, auth } = await llamaDaemon(t, SMALL_WINDOW);
  const s = await ready(L!.eos, 4096);
  const big = { model: 'x', max_tokens: 8, messages: [{ role: 'user', content: 'apple '.repeat(6000) }] };
  const refused = await post(s.endpoint.url, '/v1/messages', big);
  assert.equal(refused.status, 400);
  const m = /^prompt is too long: (\d+) tokens > 4096 maximum$/.exec((JSON.parse(refused.text) as { error: { message: string } }).error.message);
  assert.ok(m && Number(m[1]) > 4096, refused.text);
  // Past the guard: llama-server's own exceed_context_size_error, relayed in Anthropic's words.
  const huge = { ...big, messages: [{ role: 'user', content: 'apple '.repeat(14000) }] };
  const srv = createServer((_req, res) => {
    void relay({
      engineUrl: s.engine.url!, ...LOCAL, path: '/v1/messages', body: JSON.stringify(huge), headers: { 'content-type': 'application/json', ...auth() }, stream: false,
      timeouts: { firstEventMs: 60_000, betweenEventsMs: 60_000 }, whyEnded: async () => null, now: Date.now, overflow: llamaServer.overflow,
    }, res, new AbortController().signal);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  onCleanup(t, () => new Promise((r) => srv.close(r)));
  const port = (srv.address() as { port: number }).port;
  const relayed = await post(`http://127.0.0.1:${port}`, '/', {});
  assert.equal(relayed.status, 400);
  assert.match((JSON.parse(relayed.text) as { error: { type: string; message: string } }).error.message, /^prompt is too long: \d{5} tokens > 12288 maximum$/);
});

/** Reads a streamed answer as it comes; resolves `firstDelta` at the first generated text. */
function openStream(url: string, body: unknown) {
  let text = '';
  let onDelta!: () => void;
  const firstDelta = new Promise<void>((r) => { onDelta = r; });
  const done = new Promise<string>((resolve, reject) => {
    const req = httpRequest(new URL('/v1/messages', url), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; if (text.includes('content_block_delta')) onDelta(); });
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  return { firstDelta, done };
}

test('SIGKILL of llama-server mid-stream: an error event, a restart, and the next request is served', { skip }, async (t) => {
  const { d, ready, status } = await llamaDaemon(t);
  const s = await ready(L!.random);
  const stream = openStream(s.endpoint.url, hello({ stream: true, max_tokens: 100_000 }));
  await stream.firstDelta;
  process.kill(s.engine.pid!, 'SIGKILL');
  const ev = sseEvents(await stream.done);
  assert.equal(ev.at(-1)!.event, 'error');
  assert.equal((ev.at(-1)!.data.error as { type: string }).type, 'overloaded_error');
  const crash = await d.events.next(isType('crash'), 'the crash');
  assert.equal(crash.reason, 'signal');
  await d.events.next(isState('ready'), 'ready again');
  const again = await status();
  assert.notEqual(again.engine.pid, s.engine.pid);
  assert.equal((await post(s.endpoint.url, '/v1/messages', hello())).status, 200);
});

/** Bytes the kernel holds for a listener's accepted connections that nobody has read yet. */
function unreadBytesTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let total = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hex}`) && f[3] === '01') total += parseInt(f[4]!.split(':')[1]!, 16);
  }
  return total;
}

test('SIGKILL of llama-server before the first token: the request is retried and the client sees one clean answer', { skip }, async (t) => {
  const { d, ready, status } = await llamaDaemon(t);
  const s = await ready(L!.random);
  const port = Number(new URL(s.engine.url!).port);
  // Frozen, the engine holds the request unread: a death now is a death before the first token.
  process.kill(s.engine.pid!, 'SIGSTOP');
  const stream = openStream(s.endpoint.url, hello({ stream: true }));
  const deadline = Date.now() + 20_000;
  while (unreadBytesTo(port) === 0) {
    assert.ok(Date.now() < deadline, 'the request never reached the engine');
    await new Promise((r) => setImmediate(r));
  }
  process.kill(s.engine.pid!, 'SIGKILL');
  const ev = sseEvents(await stream.done);
  assert.deepEqual(ev.filter((e) => e.event === 'message_start').length, 1);
  assert.ok(!ev.some((e) => e.event === 'error'), 'no error reached the client');
  assert.equal(ev.at(-1)!.event, 'message_stop');
  const after = await statusUntil(d, (x) => x.endpoint.retries === 1, 'the retry counted');
  assert.notEqual(after.engine.pid, s.engine.pid);
  await status();
});

test("llama-server's own prompt size in message_start keeps the window guard from waiting on its tokenizer", { skip }, async (t) => {
  const { ready, status } = await llamaDaemon(t, SMALL_WINDOW);
  const s = await ready(L!.eos, 4096);
  const first = [{ role: 'user', content: 'apple '.repeat(500) }];
  const a = await post(s.endpoint.url, '/v1/messages', { model: 'x', max_tokens: 4, stream: true, messages: first });
  const said = ((sseEvents(a.text)[0]!.data.message as { usage: { input_tokens: number } }).usage.input_tokens);
  assert.ok(said > 500, `llama-server counted the prompt itself (${said})`);
  // The next turn is longer in bytes than the window could hold in tokens, yet its bound (the
  // figure above plus the bytes added) is well under it: no count is needed before forwarding.
  const next = [...first, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'pear '.repeat(300) }];
  const b = await post(s.endpoint.url, '/v1/messages', { model: 'x', max_tokens: 4, stream: true, messages: next });
  assert.equal(b.status, 200);
  assert.equal((await status()).endpoint.tokenCounts, 0, 'the guard never had to wait for a count');
});

test("llama-server's own error mid-stream reaches the client in Anthropic's envelope, and the engine serves on", { skip }, async (t) => {
  // Greedy decoding of the random model writes what Qwen2's template parser rejects at token ~30:
  // llama-server then sends `event: error` {"code":500,"message":…,"type":"server_error"}.
  const { d, ready, status } = await llamaDaemon(t);
  const s = await ready(L!.random);
  const body = { model: 'x', max_tokens: 64, temperature: 0, messages: [{ role: 'user', content: 'Write a story.' }] };
  const streamed = await post(s.endpoint.url, '/v1/messages', { ...body, stream: true });
  const ev = sseEvents(streamed.text);
  const errors = ev.filter((e) => e.event === 'error');
  assert.equal(errors.length, 1, streamed.text);
  assert.deepEqual(Object.keys(errors[0]!.data), ['type', 'error']);
  const err = errors[0]!.data.error as { type: string; message: string };
  assert.equal(err.type, 'api_error');
  assert.match(err.message, /^the local engine: The model produced output that does not match the expected peg-native format$/);
  assert.equal(ev.at(-1)!.event, 'error');
  const json = await post(s.endpoint.url, '/v1/messages', body);
  assert.equal(json.status, 500);
  assert.match((JSON.parse(json.text) as { error: { message: string } }).error.message, /does not match the expected peg-native format/);
  const after = await status();
  assert.deepEqual([after.engine.state, after.engine.pid, after.engine.restarts], ['ready', s.engine.pid, 0], 'no crash, no restart');
  assert.equal(d.events.ofType('crash').length, 0);
  assert.equal(after.endpoint.errors, 2);
});

test('only the daemon is served on llama-server\'s port: a key in a 0600 file, never in its argv, status or log', { skip }, async (t) => {
  const { d, ready, auth } = await llamaDaemon(t);
  const s = await ready(L!.eos);
  const hi = { model: 'x', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] };
  // Another local process, or a page in a browser (llama-server reflects a localhost Origin).
  const stranger = await post(s.engine.url!, '/v1/messages', hi, { origin: 'http://localhost:3000' });
  assert.equal(stranger.status, 401);
  assert.equal((await post(s.engine.url!, '/v1/messages', hi, auth())).status, 200);
  assert.equal((await post(s.endpoint.url, '/v1/messages', hi)).status, 200, 'the endpoint presents it');
  const key = auth().authorization!.slice('Bearer '.length);
  assert.equal(statSync(d.home.paths.engineKey).mode & 0o777, 0o600);
  const cmd = execFileSync('ps', ['-o', 'command=', '-p', String(s.engine.pid)], { encoding: 'utf8' });
  assert.match(cmd, /--api-key-file /);
  for (const [what, text] of [['argv', cmd], ['status', JSON.stringify(await d.rpc.request('status'))], ['daemon.log', readFileSync(d.home.paths.daemonLog, 'utf8')], ['engine.log', readFileSync(d.home.paths.engineLog, 'utf8')]]) {
    assert.ok(!text!.includes(key), `the key is in the ${what}`);
  }
});
