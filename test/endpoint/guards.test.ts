// The endpoint's guards against waste and confusion: a request whose client left is never run,
// an over-sized body is refused in words, a dead engine is not retried blindly by the SDK, and
// the engine's tokenizer runs only when a cheap bound cannot rule out an overflow.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isState } from '../helpers/events.js';
import { makeHome, recorded, startDaemon, statusUntil, type TestHome } from '../helpers/daemon.js';

const engineRequests = (home: TestHome) => recorded(home).filter((r) => r.event === 'request');
const tokenCounts = (home: TestHome) => recorded(home).filter((r) => r.event === 'count_tokens');

function post(home: TestHome, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`http://127.0.0.1:${home.port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

test('a request whose client leaves while the model loads is never run on the engine', async (t) => {
  const home = makeHome(t);
  const go = join(home.dir, 'finish-loading');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = go;
  const d = await startDaemon(t, home);
  const loaded = d.rpc.request('load', { model: 'gemma-light' });
  await d.events.next(isState('loading'), 'the load under way');
  const client = new AbortController();
  const sent = post(home, { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'left early' }] }, client.signal).catch((e: Error) => e.name);
  await statusUntil(d, (s) => s.endpoint.inFlight === 1, 'the request to wait for the engine');
  client.abort(); // Esc in Claude Code
  assert.equal(await sent, 'AbortError');
  await statusUntil(d, (s) => s.endpoint.inFlight === 0, 'the request to give up its turn');
  writeFileSync(go, '');
  await loaded;
  const after = await post(home, { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'stayed' }] });
  assert.equal(after.status, 200);
  assert.deepEqual(engineRequests(home).map((r) => r.lastUser), ['stayed']);
});

test('a body over the size limit gets a 413 request_too_large answer, not a reset connection', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  const res = await post(home, { model: 'x', max_tokens: 8, messages: [{ role: 'user', content: 'a'.repeat(33 * 1024 * 1024) }] });
  assert.equal(res.status, 413);
  const body = (await res.json()) as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'request_too_large');
  assert.match(body.error.message, /over \d+ bytes/);
});

test('with nothing loaded the answer says how to fix it and tells the SDK not to retry', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  const res = await post(home, { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('x-should-retry'), 'false');
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /no model is loaded.*cclocal/i);
});

test('a conversation that grows by appending is tokenized once, not on every turn', async (t) => {
  const home = makeHome(t, { config: { contextFloor: 4096 } }); // a small window: small bodies overflow it
  const d = await startDaemon(t, home);
  // The stand-in tokenizer counts four bytes a token: 12 KB of messages is about 3,000 tokens.
  await d.rpc.request('load', { model: 'gemma-light', contextWindow: 4096 });
  const system = 'You are a coding agent.';
  const turns: Array<{ role: string; content: string }> = [{ role: 'user', content: 'read this: ' + 'x'.repeat(12_000) }];
  const ask = async () => {
    const res = await post(home, { model: 'claude-sonnet-4-5', max_tokens: 8, system, messages: turns });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
  };
  await ask();
  assert.equal(tokenCounts(home).length, 1, 'a body longer than the window is counted');
  turns.push({ role: 'assistant', content: 'ok' }, { role: 'user', content: 'and now?' });
  await ask();
  turns.push({ role: 'assistant', content: 'done' }, { role: 'user', content: 'thanks' });
  await ask();
  assert.equal(tokenCounts(home).length, 1, 'the two appended turns were ruled out by the bound');
  assert.equal((await d.rpc.request('status')).endpoint.tokenCounts, 1);
  // Far enough over the last count, the bound no longer rules it out and the engine counts again.
  turns.push({ role: 'assistant', content: 'more' }, { role: 'user', content: 'y'.repeat(6000) });
  const over = await post(home, { model: 'claude-sonnet-4-5', max_tokens: 8, system, messages: turns });
  assert.equal(over.status, 400);
  assert.match(((await over.json()) as { error: { message: string } }).error.message, /prompt is too long: \d+ tokens > 4096 maximum/);
  assert.equal(tokenCounts(home).length, 2);
  assert.equal(engineRequests(home).length, 3);
});

test("a streamed answer's message_start carries the prompt's size, which vllm-mlx leaves at 0", async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const body = { model: 'claude-sonnet-4-5', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'count me '.repeat(500) }] };
  const res = await post(home, body);
  const text = await res.text();
  const start = JSON.parse(/event: message_start\ndata: (.*)\n/.exec(text)![1]!) as { message: { usage: { input_tokens: number } } };
  // The stand-in tokenizer: four bytes a token, over the body the engine received.
  const [counted] = tokenCounts(home);
  assert.equal(start.message.usage.input_tokens, Math.ceil((counted!.bytes as number) / 4));
  assert.ok(start.message.usage.input_tokens > 1000);
  assert.match(text, /event: message_stop/);
  assert.equal((await d.rpc.request('status')).endpoint.tokenCounts, 0, 'not a guard count: it ran beside the prefill');
});
