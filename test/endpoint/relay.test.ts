// The endpoint against a real daemon and the stand-in engine, driven by Anthropic's own SDK.
import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { isState, isType } from '../helpers/events.js';
import { makeHome, recorded, startDaemon, statusUntil, type TestHome } from '../helpers/daemon.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';
const FAKE_KEY = 'sk-ant-api03-REALLOOKINGKEY-abcdefghijklmnopqrstuvwxyz0123456789';

function client(home: TestHome): Anthropic {
  return new Anthropic({ baseURL: `http://127.0.0.1:${home.port}`, apiKey: FAKE_KEY, maxRetries: 0 });
}

const engineRequests = (home: TestHome) => recorded(home).filter((r) => r.event === 'request');

async function rawStream(home: TestHome, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${home.port}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  return { status: res.status, text: await res.text() };
}

test('a streamed answer arrives event by event: the first event reaches the client while the engine is still generating', async (t) => {
  // The engine holds after its first word until the client has seen that word. An endpoint that
  // buffered would deadlock here until its between-events timeout (5 s) cut the stream.
  const home = makeHome(t, { config: { betweenEventsTimeoutMs: 5000 } });
  const hold = join(home.dir, 'go');
  home.env.FAKE_VLLM_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const stream = await client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const texts: string[] = [];
  for await (const ev of stream) {
    if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') {
      if (texts.length === 0) writeFileSync(hold, '');
      texts.push(ev.delta.text);
    }
  }
  assert.deepEqual(texts, ['w0 ', 'w1 ', 'w2 ']);
  assert.equal((await d.rpc.request('status')).endpoint.wedged, 0);
});

test('a claude-haiku request reaches the engine under the loaded model id, without the attribution line', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const msg = await client(home).messages.create({
    model: 'claude-haiku-4-5-20251001', max_tokens: 32,
    system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.0.abc; cc_entrypoint=cli;' }, { type: 'text', text: 'You are helpful.' }],
    messages: [{ role: 'user', content: 'title this' }],
  });
  assert.equal(msg.model, GEMMA, 'the answer says which model answered');
  const [seen] = engineRequests(home);
  assert.equal(seen!.model, GEMMA);
  assert.equal(seen!.attribution, false);
});

test('eight concurrent requests reach the engine one at a time, and all complete', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_EVENT_MS: '15', FAKE_VLLM_STREAM_EVENTS: '4' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const c = client(home);
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    i % 2 === 0
      ? c.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: `q${i}` }] }).then((m) => (m.content[0] as { text: string }).text)
      : c.messages.stream({ model: 'claude-opus-4-1', max_tokens: 32, messages: [{ role: 'user', content: `q${i}` }] }).finalText()));
  assert.deepEqual(answers, Array(8).fill('w0 w1 w2 w3 '));
  const seen = engineRequests(home);
  assert.equal(seen.length, 8);
  assert.deepEqual(seen.map((r) => r.concurrent), Array(8).fill(1));
});

test('an OOM before the first generated event is retried on the restarted engine: one clean answer', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1', FAKE_VLLM_FAULT_STARTS: '1' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const text = await client(home).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'long prompt' }] }).finalText();
  assert.equal(text, 'w0 w1 w2 ');
  assert.equal(d.events.ofType('crash')[0]?.reason, 'metal-oom');
  const s = await d.rpc.request('status');
  assert.equal(s.endpoint.retries, 1);
  assert.equal(s.engine.contextWindow, 16384);
  assert.equal(engineRequests(home).length, 2);
  // The shrink is enforced from now on: a prompt that fitted 32K no longer reaches the engine.
  const err = await client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'word '.repeat(16_000) }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.BadRequestError);
  assert.match(err.message, /prompt is too long: \d+ tokens > 16384 maximum/);
  assert.equal(engineRequests(home).length, 2);
});

test('a non-streamed request whose engine dies before answering is retried too', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1', FAKE_VLLM_FAULT_STARTS: '1' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const msg = await client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'x' }] });
  assert.equal((msg.content[0] as { text: string }).text, 'w0 w1 w2 ');
});

test('an OOM mid-stream ends the stream with an overloaded_error event naming the crash', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1', FAKE_VLLM_OOM_MIDSTREAM: '1', FAKE_VLLM_FAULT_STARTS: '1' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const r = await rawStream(home, {});
  assert.equal(r.status, 200);
  assert.match(r.text, /event: content_block_delta\ndata: .*"w0 "/);
  assert.match(r.text, /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"the local engine stopped mid-answer: it crashed \(metal-oom\); cclocald is restarting it/);
  assert.ok(!r.text.includes('message_stop'));
  await d.events.next(isState('ready'), 'the engine back after the OOM');
  assert.equal((await rawStream(home, {})).text.includes('event: message_stop'), true);
});

test('a request sent while the engine restarts waits and succeeds once it is ready', async (t) => {
  const home = makeHome(t);
  const go = join(home.dir, 'finish-loading');
  writeFileSync(go, '');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = go;
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  unlinkSync(go); // the restarted engine will hold in its load until the file is back
  process.kill((await d.rpc.request('status')).engine.pid!, 'SIGKILL');
  await d.events.next(isType('restart'), 'the restart');
  const answer = client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'x' }] });
  const waiting = await statusUntil(d, (s) => s.endpoint.inFlight === 1, 'the request waiting for the engine');
  assert.notEqual(waiting.engine.state, 'ready');
  writeFileSync(go, '');
  const msg = await answer;
  assert.equal((msg.content[0] as { text: string }).text, 'w0 w1 w2 ');
  assert.equal(d.events.ofType('restart').length, 1);
  assert.equal(engineRequests(home).length, 1, 'it reached only the restarted engine');
});

test('an engine that stops generating without exiting is caught as wedged and restarted', async (t) => {
  const home = makeHome(t, { config: { betweenEventsTimeoutMs: 400 }, env: { FAKE_VLLM_WEDGE: '1', FAKE_VLLM_FAULT_STARTS: '1', FAKE_VLLM_HEARTBEAT_MS: '40' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const r = await rawStream(home, {});
  assert.match(r.text, /: heartbeat/, 'heartbeats kept flowing and did not count as progress');
  assert.match(r.text, /event: error\ndata: .*"overloaded_error".*stopped generating/);
  const crash = await d.events.next(isType('crash'), 'the wedge handled as a crash');
  assert.equal(crash.reason, 'wedged');
  await d.events.next(isState('ready'), 'a fresh engine');
  const s = await d.rpc.request('status');
  assert.equal(s.engine.lastCrash?.reason, 'wedged');
  assert.equal(s.endpoint.wedged, 1);
  assert.match((await rawStream(home, {})).text, /event: message_stop/);
});

test('a prompt over the shrunk context window is refused as Anthropic does, without reaching the engine, and says how to raise it', async (t) => {
  const home = makeHome(t, { config: { contextFloor: 4096 } }); // a small window: small bodies overflow it
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light', contextWindow: 4096 });
  const small = await client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'short' }] });
  assert.equal(small.type, 'message');
  assert.equal(recorded(home).filter((r) => r.event === 'count_tokens').length, 0, 'a body under the window is never counted');

  const err = await client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'word '.repeat(8000) }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.BadRequestError);
  assert.match(err.message, /prompt is too long: \d+ tokens > 4096 maximum; context window 4096 tokens, below this model's default of 32768; to raise it: cclocald load mlx-community\/gemma-4-e4b-it-4bit --ctx 32768/);
  assert.equal((err.error as { error: { type: string } }).error.type, 'invalid_request_error');
  assert.equal(engineRequests(home).length, 1, 'only the short request reached the engine');
  assert.equal((await d.rpc.request('status')).endpoint.rejectedTooLong, 1);
});

test('neither an sk-ant key nor an Authorization header reaches the engine or a log', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  await client(home).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'PROMPT-TEXT-NEVER-LOGGED' }] });
  await new Anthropic({ baseURL: `http://127.0.0.1:${home.port}`, authToken: FAKE_KEY, apiKey: null, maxRetries: 0 })
    .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'y' }] });
  for (const r of engineRequests(home)) {
    assert.equal(r.apiKey, null);
    assert.equal(r.authorization, null);
  }
  await d.stop();
  for (const f of [home.paths.daemonLog, home.paths.engineLog, home.record]) assert.ok(!readFileSync(f, 'utf8').includes('REALLOOKINGKEY'), f);
  const daemonLog = readFileSync(home.paths.daemonLog, 'utf8');
  assert.match(daemonLog, /messages request/, 'requests are logged');
  assert.ok(!daemonLog.includes('PROMPT-TEXT-NEVER-LOGGED'), 'but never their prompts');
});
