// The relay on its own between two real HTTP servers: what the engine sends in one write (a
// whole short answer in one socket read) reaches the client byte for byte, nothing dropped.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { relay, type RelayOutcome } from '../../daemon/endpoint/relay.js';
import { loopbackTransport } from '../../daemon/endpoint/transport.js';

const LOCAL = { transport: loopbackTransport, label: 'the local engine', remote: false };

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const ANSWER = [
  sse('message_start', { message: { id: 'm', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 0, output_tokens: 0 } } }),
  sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ': heartbeat\n\n',
  ...['a', 'b', 'c', 'd'].map((t) => sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } })),
  sse('content_block_stop', { index: 0 }),
  sse('message_delta', { delta: { stop_reason: 'end_turn' } }),
  sse('message_stop', {}),
].join('');

async function listen(t: TestContext, server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => { server.closeAllConnections(); server.close(); });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('an answer that arrives in one read is relayed whole: preamble, heartbeat and every event', async (t) => {
  // The whole answer in a single write, as a fast engine or a coalescing socket delivers it.
  const engineUrl = await listen(t, createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(ANSWER);
  }));
  const outcomes: RelayOutcome[] = [];
  const front = await listen(t, createServer((req, res) => {
    const gone = new AbortController();
    void relay({
      engineUrl, ...LOCAL, path: '/v1/messages', body: '{}', headers: { 'content-type': 'application/json' }, stream: true,
      timeouts: { firstEventMs: 10_000, betweenEventsMs: 10_000 }, whyEnded: async () => null, now: Date.now,
    }, res, gone.signal).then((o) => outcomes.push(o));
    void req.resume();
  }));
  const res = await fetch(`${front}/v1/messages`, { method: 'POST', body: '{}' });
  const text = await res.text();
  // The heartbeat goes out first (preamble events are held until the first generated one).
  const [preamble, heartbeat, rest] = [ANSWER.slice(0, ANSWER.indexOf(': heartbeat')), ': heartbeat\n\n', ANSWER.slice(ANSWER.indexOf(': heartbeat') + 13)];
  assert.equal(text, heartbeat + preamble + rest);
  assert.equal(outcomes.length, 1);
  assert.deepEqual({ kind: outcomes[0]!.kind, events: (outcomes[0] as { events: number }).events }, { kind: 'done', events: 9 });
});

test('an answer that arrives whole while its prompt is still being counted is held, patched and relayed whole', async (t) => {
  let engineDone!: () => void;
  const engineFinished = new Promise<void>((r) => { engineDone = r; });
  const engineUrl = await listen(t, createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(ANSWER, () => engineDone());
  }));
  // The count comes in only after the engine has sent (and ended) its whole answer.
  const count = engineFinished.then(() => 4321);
  for (const inputTokens of [count, 1234] as const) {
    const outcomes: RelayOutcome[] = [];
    const front = await listen(t, createServer((req, res) => {
      void relay({
        engineUrl, ...LOCAL, path: '/v1/messages', body: '{}', headers: { 'content-type': 'application/json' }, stream: true,
        timeouts: { firstEventMs: 10_000, betweenEventsMs: 10_000 }, whyEnded: async () => null, now: Date.now, inputTokens,
      }, res, new AbortController().signal).then((o) => outcomes.push(o));
      void req.resume();
    }));
    const text = await (await fetch(`${front}/v1/messages`, { method: 'POST', body: '{}' })).text();
    const expected = typeof inputTokens === 'number' ? 1234 : 4321;
    assert.match(text, new RegExp(`^: heartbeat\\n\\nevent: message_start\\ndata: .*"usage":\\{"input_tokens":${expected}`), text);
    assert.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'), text);
    assert.equal(text.match(/event: content_block_delta/g)?.length, 4);
    assert.equal(outcomes[0]?.kind, 'done');
  }
});
