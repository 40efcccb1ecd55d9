// Claude Code's gateway contract (code.claude.com/docs/en/llm-gateway-protocol), held by the
// endpoint for the engine behind it: the warm-up route, pings while a stream waits, no
// mid-conversation system entry reaching a strict template, engine wording kept intact.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { isState, isType } from '../helpers/events.js';
import { makeHome, recorded, startDaemon, type TestHome } from '../helpers/daemon.js';

const engineRequests = (home: TestHome) => recorded(home).filter((r) => r.event === 'request');
const url = (home: TestHome, path: string) => `http://127.0.0.1:${home.port}${path}`;

/** The SSE event names of a stream, in order ("ping", "message_start", …). */
const eventNames = (text: string) => [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]!);

async function streamRequest(home: TestHome, body: Record<string, unknown> = {}): Promise<Response> {
  return fetch(url(home, '/v1/messages'), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

/** A wait for part of a stream that has not come by then fails instead of stalling the suite. */
const READ_DEADLINE_MS = 10_000;

/** Reads a streamed answer until `seen(textSoFar)` holds, then hands back the rest as well. */
async function readUntil(response: Promise<Response>, seen: (text: string) => boolean): Promise<{ soFar: string; rest: Promise<string> }> {
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`not seen within ${READ_DEADLINE_MS} ms; so far: ${JSON.stringify(text)}`)), READ_DEADLINE_MS); });
  const reader = (await Promise.race([response, late])).body!.getReader();
  const dec = new TextDecoder();
  while (!seen(text)) {
    const { value, done } = await Promise.race([reader.read(), late]);
    if (done) throw new Error(`the stream ended before it was seen: ${text}`);
    text += dec.decode(value, { stream: true });
  }
  clearTimeout(timer);
  const soFar = text;
  const rest = (async () => { for (;;) { const { value, done } = await reader.read(); if (done) return text; text += dec.decode(value, { stream: true }); } })();
  return { soFar, rest };
}

test('HEAD and GET /api/hello answer 200 at once, with no model loaded and while one loads', async (t) => {
  const home = makeHome(t, { config: { autoload: false } });
  const hold = join(home.dir, 'loaded');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  for (const method of ['HEAD', 'GET']) assert.equal((await fetch(url(home, '/api/hello'), { method })).status, 200, `${method} with nothing loaded`);
  const load = d.rpc.request('load', { model: 'gemma-light' });
  await d.events.next(isState('loading'), 'the engine loading');
  for (const method of ['HEAD', 'GET']) assert.equal((await fetch(url(home, '/api/hello'), { method })).status, 200, `${method} while loading`);
  writeFileSync(hold, '');
  await load;
  // The loopback-only checks still hold on it.
  assert.equal((await fetch(url(home, '/api/hello'), { headers: { origin: 'https://evil.example' } })).status, 403);
});

test('a streamed request held through a long prefill gets ping events before message_start, then one clean message', async (t) => {
  const home = makeHome(t, { config: { pingIntervalMs: 50 } });
  const prefilled = join(home.dir, 'prefilled');
  home.env.FAKE_VLLM_PREFILL_HOLD_FILE = prefilled;
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  // The prefill lasts until the client has heard two pings.
  const { rest } = await readUntil(streamRequest(home), (s) => s.split('event: ping').length > 2);
  writeFileSync(prefilled, '');
  const names = eventNames(await rest);
  const start = names.indexOf('message_start');
  assert.ok(names.slice(0, start).filter((n) => n === 'ping').length >= 2, `pings before message_start: ${names.join(' ')}`);
  assert.deepEqual(names.slice(start).filter((n) => n !== 'ping'), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  // Once the answer has begun, its own events keep the stream alive: no more pings.
  assert.ok(!names.slice(start).includes('ping'), names.join(' '));
});

test('a prompt found too long after pings have begun the stream still says so, in an SSE error event', async (t) => {
  const home = makeHome(t, { config: { pingIntervalMs: 50, autoload: false, defaultContextWindow: 4096, contextFloor: 4096 } }); // a small window, its default: small bodies overflow it
  const hold = join(home.dir, 'loaded');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  const load = d.rpc.request('load', { model: 'gemma-light' });
  await d.events.next(isState('loading'), 'the engine loading');
  // Over the window by its size alone only once counted: the guard needs the engine, which loads.
  const { rest } = await readUntil(streamRequest(home, { messages: [{ role: 'user', content: 'x '.repeat(30_000) }] }), (s) => s.includes('event: ping'));
  writeFileSync(hold, '');
  await load;
  const text = await rest;
  assert.deepEqual(eventNames(text).filter((n) => n !== 'ping'), ['error']);
  assert.match(text, /"type":"invalid_request_error","message":"prompt is too long: \d+ tokens > 4096 maximum"/);
});

test('a streamed request that waits for the engine to load hears pings, then gets its answer', async (t) => {
  const home = makeHome(t, { config: { pingIntervalMs: 100, autoload: false } });
  const hold = join(home.dir, 'loaded');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  const load = d.rpc.request('load', { model: 'gemma-light' });
  await d.events.next(isState('loading'), 'the engine loading');
  // The waiting client hears a ping before the engine is even ready; then the load finishes.
  const { rest } = await readUntil(streamRequest(home), (s) => s.includes('event: ping'));
  writeFileSync(hold, '');
  await load;
  const names = eventNames(await rest);
  assert.equal(names.filter((n) => n === 'message_start').length, 1);
  assert.equal(names.at(-1), 'message_stop');
  assert.ok(!names.includes('error'), names.join(' '));
});

test('a streamed request queued behind another hears pings while it waits its turn', async (t) => {
  const home = makeHome(t, { config: { pingIntervalMs: 100 } });
  const hold = join(home.dir, 'go');
  // The engine holds the first answer after its first word until the file appears.
  home.env.FAKE_VLLM_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const first = await readUntil(streamRequest(home), (s) => s.includes('text_delta'));
  const second = await readUntil(streamRequest(home), (s) => s.includes('event: ping'));
  assert.equal(engineRequests(home).length, 1, 'the second waits in the queue: the engine has seen only the first');
  writeFileSync(hold, '');
  assert.equal(eventNames(await first.rest).at(-1), 'message_stop');
  const names = eventNames(await second.rest);
  assert.equal(names.filter((n) => n === 'message_start').length, 1);
  assert.equal(names.at(-1), 'message_stop');
});

test('a crash before the first token, with pings already sent, is retried into one clean message', async (t) => {
  const home = makeHome(t, { config: { pingIntervalMs: 50 }, env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1', FAKE_VLLM_FAULT_STARTS: '1', FAKE_VLLM_LOAD_MS: '400' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const res = await streamRequest(home);
  const text = await res.text();
  const names = eventNames(text);
  assert.ok(names.includes('ping'), 'pings while the engine restarted');
  assert.equal(names.filter((n) => n === 'message_start').length, 1, names.join(' '));
  assert.ok(!names.includes('error'), text);
  assert.equal(names.at(-1), 'message_stop');
  assert.match(text, /w0 [\s\S]*w1 [\s\S]*w2 /);
  assert.equal((await d.events.next(isType('crash'), 'the OOM')).reason, 'metal-oom');
  assert.ok((await d.rpc.request('status')).endpoint.retries >= 1);
});

test('an answer that comes quickly keeps its plain HTTP status: no ping, no SSE wrapper', async (t) => {
  const home = makeHome(t, { config: { pingIntervalMs: 15_000, defaultContextWindow: 4096, contextFloor: 4096 } }); // a small window, its default: small bodies overflow it
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light', contextWindow: 4096 });
  const res = await streamRequest(home, { messages: [{ role: 'user', content: 'x '.repeat(30_000) }] });
  assert.equal(res.status, 400);
  const body = await res.json() as { type: string; error: { type: string; message: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /^prompt is too long: \d+ tokens > 4096 maximum$/);
});

test('with a strict chat template, a request carrying a mid-conversation system entry is answered, and the engine never sees the entry', async (t) => {
  const home = makeHome(t);
  home.env.FAKE_VLLM_STRICT_TEMPLATE = '1';
  const d = await startDaemon(t, home);
  const loaded = await d.rpc.request('load', { model: 'gemma-light' });
  // As Claude Code 2.1.332 sends it: the environment block after the person's prompt.
  const messages = [{ role: 'user', content: 'say hi' }, { role: 'system', content: '# Environment\n - Primary working directory: /tmp/p' }];
  // The engine itself, asked directly, fails as vllm-mlx does: an empty stream, or a bare 500.
  const direct = await fetch(new URL('/v1/messages', loaded.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: loaded.model, max_tokens: 16, stream: true, messages }) });
  assert.deepEqual(eventNames(await direct.text()), ['message_start', 'content_block_start', 'message_stop']);
  const directJson = await fetch(new URL('/v1/messages', loaded.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: loaded.model, max_tokens: 16, messages }) });
  assert.equal(directJson.status, 500);
  // Through the endpoint: a real answer, streamed and not.
  const client = new Anthropic({ baseURL: url(home, ''), apiKey: 'not-needed', maxRetries: 0 });
  const msg = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: messages as never });
  assert.equal((msg.content[0] as { text: string }).text, 'w0 w1 w2 ');
  const streamed = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: messages as never });
  let text = '';
  for await (const ev of streamed) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
  assert.equal(text, 'w0 w1 w2 ');
  const viaEndpoint = engineRequests(home).slice(-2);
  for (const r of viaEndpoint) assert.deepEqual(r.roles, ['user']);
  // count_tokens is given what the engine will be given.
  const counted = await fetch(url(home, '/v1/messages/count_tokens'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', messages }) });
  assert.equal(counted.status, 200);
  assert.deepEqual(recorded(home).filter((r) => r.event === 'count_tokens').at(-1)!.roles, ['user']);
});

test("an engine's 4xx reaches the client with its own wording, in Anthropic's error envelope", async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  for (const stream of [false, true]) {
    const res = await fetch(url(home, '/v1/messages'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 40_000, stream, messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(res.status, 400, `stream: ${stream}`);
    assert.deepEqual(await res.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens exceeds server limit (32768)' } });
  }
});
