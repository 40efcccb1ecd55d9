// The request queue in front of an engine (endpoint/queue): turns go round the waiting sessions,
// and within each its lanes (main loop, subagents, background), FIFO within a lane; a rising
// limit, a full queue, aborts, timeouts, and depth; and flowOf.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER } from '../../daemon/durations.js';
import { flowOf, QueueAbortedError, QueueFullError, QueueTimeoutError, RequestQueue, type Flow } from '../../daemon/endpoint/queue.js';

/** A session's flow (its main lane unless named). */
const F = (session: string, lane = 'main'): Flow => ({ session, lane });

/** Lets granted waiters' promise callbacks run (no timers). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A queue with one holder, the names in the order they were granted, and each grant's release. */
function harness(concurrency: number | (() => number), maxWaiting = 100) {
  const q = new RequestQueue(concurrency, maxWaiting);
  const granted: string[] = [];
  const releases = new Map<string, () => void>();
  const join = (name: string, flow: Flow | string = '', signal?: AbortSignal) => {
    const p = q.acquire(NEVER, signal, typeof flow === 'string' ? F(flow) : flow);
    p.then((release) => { granted.push(name); releases.set(name, release); }, () => {});
    return p;
  };
  /** Releases whoever was granted last, one at a time, until nobody waits. */
  const drain = async () => {
    while (granted.length > 0) {
      const before = granted.length;
      releases.get(granted[before - 1]!)!();
      await settle();
      if (granted.length === before) break;
    }
  };
  return { q, granted, releases, join, drain };
}

test('B, arriving after three of A, is served second, not fourth (round robin between sessions)', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER, undefined, F('holder'));
  for (const n of ['a1', 'a2', 'a3']) void h.join(n, 'A');
  void h.join('b1', 'B');
  assert.equal(h.q.depth, 4);
  hold();
  await settle();
  await h.drain();
  assert.deepEqual(h.granted, ['a1', 'b1', 'a2', 'a3']);
});

test('three flows take turns, each first come first served', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  for (const [n, f] of [['a1', 'A'], ['a2', 'A'], ['b1', 'B'], ['c1', 'C'], ['b2', 'B'], ['a3', 'A'], ['c2', 'C']] as const) void h.join(n, f);
  hold();
  await settle();
  await h.drain();
  assert.deepEqual(h.granted, ['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3']);
});

test('requests without session headers share one flow and keep arrival order', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  for (const n of ['r1', 'r2', 'r3', 'r4']) void h.join(n, flowOf({}));
  hold();
  await settle();
  await h.drain();
  assert.deepEqual(h.granted, ['r1', 'r2', 'r3', 'r4']);
});

test('with a free slot and nobody waiting a request goes at once', async () => {
  const q = new RequestQueue(2, 0);
  const r1 = await q.acquire(NEVER);
  const r2 = await q.acquire(NEVER);
  assert.equal(q.active, 2);
  assert.equal(q.depth, 0);
  r1();
  r2();
  assert.equal(q.active, 0);
});

test('a concurrency that rises lets more through on the next release', async () => {
  let limit = 1;
  const h = harness(() => limit);
  const hold = await h.q.acquire(NEVER);
  for (const n of ['w1', 'w2', 'w3', 'w4']) void h.join(n);
  limit = 3;
  assert.equal(h.q.concurrency, 3);
  await settle();
  assert.deepEqual(h.granted, [], 'nothing moves until a release');
  hold();
  await settle();
  assert.deepEqual(h.granted, ['w1', 'w2', 'w3']);
  assert.equal(h.q.active, 3);
  assert.equal(h.q.depth, 1);
});

test('a release counts once, however often it is called', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  void h.join('w1');
  void h.join('w2');
  hold();
  hold();
  await settle();
  assert.deepEqual(h.granted, ['w1']);
  assert.equal(h.q.active, 1);
});

test('maxWaiting full: the next request is refused with QueueFullError', async () => {
  const h = harness(1, 2);
  await h.q.acquire(NEVER);
  void h.join('w1');
  void h.join('w2');
  await assert.rejects(h.q.acquire(NEVER), (err: Error) => err instanceof QueueFullError && /2 requests are already waiting/.test(err.message));
  assert.equal(h.q.depth, 2);
});

test('an abort removes the waiter: it is rejected, depth goes back down, and it is never granted', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  const ac = new AbortController();
  void h.join('w1');
  const gone = h.join('gone', 'B', ac.signal);
  void h.join('w2');
  assert.equal(h.q.depth, 3);
  ac.abort();
  await assert.rejects(gone, QueueAbortedError);
  assert.equal(h.q.depth, 2);
  hold();
  await settle();
  await h.drain();
  assert.deepEqual(h.granted, ['w1', 'w2']);
});

test('an abort after the grant changes nothing', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  const ac = new AbortController();
  const p = h.join('w1', '', ac.signal);
  hold();
  const release = await p;
  ac.abort();
  assert.equal(h.q.active, 1);
  release();
  assert.equal(h.q.active, 0);
});

test('a waiter that waits too long is refused with QueueTimeoutError', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const q = new RequestQueue(1, 10);
  const hold = await q.acquire(NEVER);
  const p = q.acquire(30_000);
  assert.equal(q.depth, 1);
  t.mock.timers.tick(30_000);
  await assert.rejects(p, (err: Error) => err instanceof QueueTimeoutError && /waited 30 s for a turn/.test(err.message));
  assert.equal(q.depth, 0);
  hold();
  assert.equal(q.active, 0);
});

test('depth and active return to 0 once every request is granted and released', async () => {
  const h = harness(2);
  const first = [await h.q.acquire(NEVER, undefined, F('A')), await h.q.acquire(NEVER, undefined, F('B'))];
  for (let i = 0; i < 6; i++) void h.join(`w${i}`, ['A', 'B', ''][i % 3]);
  assert.equal(h.q.depth, 6);
  for (const r of first) r();
  await settle();
  assert.equal(h.q.depth, 4);
  assert.equal(h.q.active, 2);
  while (h.releases.size > 0) {
    const [name, release] = h.releases.entries().next().value!;
    h.releases.delete(name);
    release();
    await settle();
  }
  assert.equal(h.granted.length, 6);
  assert.equal(h.q.depth, 0);
  assert.equal(h.q.active, 0);
  const again = await h.q.acquire(NEVER);
  assert.equal(h.q.active, 1, 'and a new request goes at once');
  again();
});

// An already-aborted signal never fires 'abort': checked at once.
test('a request whose signal is already aborted does not take a place in the queue', async () => {
  const q = new RequestQueue(1, 10);
  await q.acquire(NEVER);
  const ac = new AbortController();
  ac.abort();
  const p = q.acquire(NEVER, ac.signal);
  p.catch(() => {});
  await settle();
  assert.equal(q.depth, 0);
});

test('flowOf: the session id names the session; the main loop, each subagent and background calls are its lanes', () => {
  const tools = { tools: [{ name: 'Read' }] };
  const main = flowOf({ 'x-claude-code-session-id': 's1' }, tools);
  assert.deepEqual(main, { session: 's1', lane: 'main' });
  assert.deepEqual(flowOf({ 'x-claude-code-session-id': 's1', 'x-claude-code-agent-id': 'agent-7' }, tools), { session: 's1', lane: 'agent:agent-7' });
  assert.deepEqual(flowOf({ 'x-claude-code-session-id': 's1' }, { messages: [] }), { session: 's1', lane: 'background' }, 'no tools: a title or summary call');
  assert.deepEqual(flowOf({ 'x-claude-code-session-id': 's2' }, tools).session, 's2');
  assert.deepEqual(flowOf({}), { session: '', lane: 'main' });
});

test('a session with many subagents waiting cannot crowd out another session: sessions take turns first', async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  for (const n of ['m1', 'm2']) void h.join(n, F('S1'));
  for (const n of ['x1', 'x2']) void h.join(n, F('S1', 'agent:x'));
  for (const n of ['y1', 'y2']) void h.join(n, F('S1', 'agent:y'));
  void h.join('o1', F('S2'));
  hold();
  await settle();
  await h.drain();
  assert.deepEqual(h.granted, ['m1', 'o1', 'x1', 'y1', 'm2', 'x2', 'y2']);
});

test("within a session, its background calls and subagents take turns with the main loop", async () => {
  const h = harness(1);
  const hold = await h.q.acquire(NEVER);
  for (const n of ['a1', 'a2', 'a3']) void h.join(n, F('S', 'agent:a'));
  void h.join('main1', F('S'));
  void h.join('bg1', F('S', 'background'));
  hold();
  await settle();
  await h.drain();
  assert.deepEqual(h.granted, ['a1', 'main1', 'bg1', 'a2', 'a3']);
});

test('flowOf: no headers, or repeated headers, is the shared session ""', () => {
  assert.equal(flowOf({}).session, '');
  assert.equal(flowOf({ 'x-claude-code-session-id': ['s1', 's2'] }).session, '');
  assert.equal(flowOf({ 'x-claude-code-session-id': '' }).session, '');
});

test('flowOf cuts an id at 200 characters', () => {
  const long = 'x'.repeat(5000);
  const f = flowOf({ 'x-claude-code-session-id': long, 'x-claude-code-agent-id': long });
  assert.deepEqual(f, { session: 'x'.repeat(200), lane: `agent:${'x'.repeat(200)}` });
  assert.deepEqual(flowOf({ 'x-claude-code-session-id': long }), flowOf({ 'x-claude-code-session-id': `${long}-different-tail` }));
});
