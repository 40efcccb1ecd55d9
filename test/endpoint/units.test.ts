// The endpoint's pure parts: request rewriting, SSE framing, the queue, error forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineErrorMessage, errorEvent, promptTooLong, typeForStatus } from '../../daemon/endpoint/anthropic-errors.js';
import { refusal } from '../../daemon/endpoint/http-server.js';
import { QueueFullError, QueueTimeoutError, RequestQueue } from '../../daemon/endpoint/queue.js';
import { stripAttribution } from '../../daemon/endpoint/request-rewrite.js';
import { TokenBounds, type BodyParts } from '../../daemon/endpoint/token-bound.js';
import { withInputTokens } from '../../daemon/endpoint/usage-patch.js';
import { isPreamble, SseScanner, StreamTracker } from '../../daemon/endpoint/sse-scanner.js';

test('the attribution line is removed from a string system prompt and from text blocks', () => {
  const a = { system: 'x-anthropic-billing-header: cc_version=1; cc_entrypoint=cli;\nYou are Claude Code.' };
  assert.equal(stripAttribution(a), true);
  assert.equal(a.system, 'You are Claude Code.');
  const b = { system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2;' }, { type: 'text', text: 'Rules', cache_control: { type: 'ephemeral' } }] };
  assert.equal(stripAttribution(b), true);
  assert.deepEqual(b.system, [{ type: 'text', text: 'Rules', cache_control: { type: 'ephemeral' } }]);
  const c = { system: 'plain' };
  assert.equal(stripAttribution(c), false);
  assert.equal(stripAttribution({}), false);
});

const parts = (messages: unknown[], extra: Partial<BodyParts> = {}): BodyParts => {
  const messagesJson = JSON.stringify(messages);
  return { model: 'm', systemJson: '"sys"', toolsJson: '[]', messagesJson, bodyBytes: messagesJson.length + 40, ...extra };
};

test('with nothing counted yet, the bound on prompt tokens is the body size in bytes', () => {
  assert.equal(new TokenBounds().bound(parts([{ role: 'user', content: 'hi' }])), JSON.stringify([{ role: 'user', content: 'hi' }]).length + 40);
});

test('a conversation that grows by appending is bounded by the last count plus the bytes it added', () => {
  const b = new TokenBounds();
  const first = [{ role: 'user', content: 'x'.repeat(5000) }];
  b.remember(parts(first), 1200);
  const next = [...first, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'more' }];
  const added = JSON.stringify(next).length - JSON.stringify(first).length;
  assert.equal(b.bound(parts(next)), 1200 + added);
});

test('a changed earlier message, system prompt, tool list or model gives no shortcut', () => {
  const b = new TokenBounds();
  const first = [{ role: 'user', content: 'x'.repeat(5000) }];
  b.remember(parts(first), 1200);
  const edited = [{ role: 'user', content: 'y'.repeat(5000) }, { role: 'user', content: 'z' }];
  assert.equal(b.bound(parts(edited)), parts(edited).bodyBytes);
  // the last message extended in place is not an append either
  const longer = [{ role: 'user', content: 'x'.repeat(5001) }];
  assert.equal(b.bound(parts(longer)), parts(longer).bodyBytes);
  for (const extra of [{ systemJson: '"other"' }, { toolsJson: '[{}]' }, { model: 'n' }]) {
    const next = [...first, { role: 'user', content: 'z' }];
    assert.equal(b.bound(parts(next, extra)), parts(next).bodyBytes, JSON.stringify(extra));
  }
});

test('the SSE scanner returns whole units byte for byte, across chunk splits', () => {
  const s = new SseScanner();
  const a = 'event: message_start\ndata: {"type":"message_start"}\n\n';
  const b = ': heartbeat\n\n';
  const c = 'event: content_block_delta\ndata: {"delta":{"text":"é"}}\n\n';
  const bytes = Buffer.from(a + b + c);
  const units = [...s.push(bytes.subarray(0, 10)), ...s.push(bytes.subarray(10, a.length + 3)), ...s.push(bytes.subarray(a.length + 3))];
  assert.deepEqual(units.map((u) => u.event), ['message_start', null, 'content_block_delta']);
  assert.equal(Buffer.concat(units.map((u) => u.raw)).toString(), a + b + c);
  assert.equal(s.rest().length, 0);
});

test('message_start and an empty text block are preamble; deltas and tool_use starts are not', () => {
  const unit = (event: string, data: unknown) => ({ raw: Buffer.alloc(0), event, data: JSON.stringify(data) });
  assert.equal(isPreamble(unit('message_start', {})), true);
  assert.equal(isPreamble(unit('content_block_start', { content_block: { type: 'text', text: '' } })), true);
  assert.equal(isPreamble(unit('content_block_start', { content_block: { type: 'tool_use', id: 't', name: 'Write', input: {} } })), false);
  assert.equal(isPreamble(unit('content_block_delta', { delta: { type: 'text_delta', text: 'a' } })), false);
  assert.equal(isPreamble(unit('message_stop', {})), false);
});

test('the queue grants in arrival order, one at a time, and refuses past its bound', async () => {
  const q = new RequestQueue(1, 2);
  const order: number[] = [];
  const r1 = await q.acquire(1000);
  const p2 = q.acquire(1000).then((r) => { order.push(2); return r; });
  const p3 = q.acquire(1000).then((r) => { order.push(3); return r; });
  await assert.rejects(q.acquire(1000), QueueFullError);
  assert.equal(q.depth, 2);
  r1();
  (await p2)();
  (await p3)();
  assert.deepEqual(order, [2, 3]);
  assert.equal(q.active, 0);
});

test('a waiter gives up after its timeout, and an aborted one leaves the queue', async () => {
  const q = new RequestQueue(1, 5);
  const r1 = await q.acquire(1000);
  await assert.rejects(q.acquire(5), QueueTimeoutError);
  const ac = new AbortController();
  const p = q.acquire(1000, ac.signal);
  ac.abort();
  await assert.rejects(p);
  assert.equal(q.depth, 0);
  r1();
});

test('errors take Anthropic forms', () => {
  assert.equal(promptTooLong(40000, 32768), 'prompt is too long: 40000 tokens > 32768 maximum');
  assert.equal(errorEvent('overloaded_error', 'x'), 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n');
  assert.equal(typeForStatus(404), 'not_found_error');
  assert.equal(typeForStatus(500), 'api_error');
  assert.equal(engineErrorMessage('{"detail":"The model `x` does not exist."}'), 'The model `x` does not exist.');
});

test('requests are refused unless Host and Origin are loopback names', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as never;
  assert.equal(refusal(req({ host: 'localhost:8000' })), null);
  assert.equal(refusal(req({ host: '127.0.0.1' })), null);
  assert.equal(refusal(req({ host: '[::1]:8000' })), null);
  assert.match(refusal(req({ host: 'evil.com:8000' }))!, /not a loopback name/);
  assert.match(refusal(req({ host: 'localhost.evil.com' }))!, /not a loopback name/);
  assert.match(refusal(req({ host: 'localhost', origin: 'http://evil.com' }))!, /Origin/);
  assert.equal(refusal(req({ host: 'localhost', origin: 'http://127.0.0.1:5173' })), null);
});

test('the stream tracker counts events and finds message_stop even when split between chunks', () => {
  const t = new StreamTracker();
  const text = 'event: content_block_delta\ndata: {}\n\n: heartbeat\n\nevent: message_delta\ndata: {}\n\nevent: message_st';
  assert.equal(t.feed(Buffer.from(text)), 3);
  assert.equal(t.sawStop, false);
  assert.equal(t.feed(Buffer.from('op\ndata: {"type":"message_stop"}\n\n')), 0);
  assert.equal(t.sawStop, true);
  assert.equal(t.events, 3);
  assert.equal(new StreamTracker().feed(Buffer.from(': heartbeat\n\n')), 0);
});

test('"event: message_stop" written by the model inside its text does not end the stream', () => {
  const t = new StreamTracker();
  const delta = JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'SSE ends with\nevent: message_stop\ndata: {}' } });
  assert.equal(t.feed(Buffer.from(`event: content_block_delta\ndata: ${delta}\n\n`)), 1);
  assert.equal(t.sawStop, false);
  assert.equal(t.events, 1);
});

test('the stream tracker finds every event whatever the chunk boundaries, one byte at a time included', () => {
  const stream = Buffer.from(['content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']
    .map((e) => `event: ${e}\ndata: {"type":"${e}"}\n\n: heartbeat\n\n`).join(''));
  for (const size of [1, 2, 3, 7, 19, 20, 21, 64, stream.length]) {
    const t = new StreamTracker();
    for (let i = 0; i < stream.length; i += size) t.feed(stream.subarray(i, i + size));
    assert.deepEqual({ size, events: t.events, sawStop: t.sawStop }, { size, events: 5, sawStop: true });
  }
  const early = new StreamTracker();
  early.feed(stream.subarray(0, stream.indexOf('event: message_stop')));
  assert.equal(early.sawStop, false);
});

test('message_start gets the prompt size the engine left at 0, and keeps one it reported', () => {
  const start = (tokens: number) => Buffer.from(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'm', usage: { input_tokens: tokens, output_tokens: 0 } } })}\n\n`);
  const patched = withInputTokens(start(0), 12345).toString();
  assert.match(patched, /^event: message_start\ndata: \{.*"input_tokens":12345,"output_tokens":0.*\}\n\n$/);
  assert.equal(withInputTokens(start(77), 12345).toString(), start(77).toString());
  assert.equal(withInputTokens(Buffer.from(': heartbeat\n\n'), 5).toString(), ': heartbeat\n\n');
});
