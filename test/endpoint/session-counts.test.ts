// The per-session, per-agent counts `status` keeps: bounded both ways, least recently active out first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAIN_AGENT, MAX_AGENTS, MAX_SESSIONS, SessionCounts } from '../../daemon/endpoint/session-counts.js';

const rec = (session: string | null, agent: string | null, at: number, status = 200) => ({ session, agent, at, durationMs: 5, status });

test('counts requests and errors per session and per agent (main without an agent id); no session header, no entry', () => {
  const c = new SessionCounts();
  c.record(rec('s1', null, 1000));
  c.record(rec('s1', 'a1', 2000));
  c.record(rec('s1', 'a1', 3000, 529));
  c.record(rec('s1', null, 4000, 499)); // the client left: not an error
  c.record(rec('s1', null, 4500, 400));
  c.record(rec(null, 'a9', 5000));
  assert.deepEqual(c.list(), [{ session: 's1', requests: 5, errors: 2, lastAt: new Date(4505).toISOString(), agents: { [MAIN_AGENT]: 3, a1: 2 } }]);
});

test('keeps the last 20 sessions by their latest request, most recent first', () => {
  const c = new SessionCounts();
  assert.equal(MAX_SESSIONS, 20);
  for (let i = 0; i < 25; i++) c.record(rec(`s${i}`, null, i * 1000));
  // s0..s4 are gone; s5 is active again, so s6 (now the least recent) goes when s25 arrives.
  c.record(rec('s5', null, 99_000));
  c.record(rec('s25', null, 100_000));
  const list = c.list();
  assert.equal(list.length, 20);
  assert.deepEqual(list.slice(0, 3).map((s) => s.session), ['s25', 's5', 's24']);
  assert.ok(!list.some((s) => ['s0', 's1', 's2', 's3', 's4', 's6'].includes(s.session)), list.map((s) => s.session).join(','));
  assert.equal(list.at(-1)!.session, 's7');
  assert.equal(list.find((s) => s.session === 's5')!.requests, 2);
});

test('keeps a session\'s 20 most recently active agents', () => {
  const c = new SessionCounts();
  assert.equal(MAX_AGENTS, 20);
  c.record(rec('s', null, 0));
  for (let i = 0; i < 22; i++) c.record(rec('s', `a${i}`, i + 1));
  c.record(rec('s', 'a2', 100)); // a2 active again: a3 is the least recent now
  c.record(rec('s', 'a22', 101));
  const [s] = c.list();
  assert.equal(s!.requests, 25, 'the session counts every request, whichever agents are kept');
  const agents = Object.keys(s!.agents);
  assert.equal(agents.length, 20);
  assert.deepEqual(agents.slice(0, 2), ['a22', 'a2']);
  for (const gone of [MAIN_AGENT, 'a0', 'a1', 'a3']) assert.ok(!(gone in s!.agents), gone);
  assert.equal(s!.agents.a2, 2);
});

test('smaller bounds are honoured', () => {
  const c = new SessionCounts(2, 1);
  c.record(rec('x', 'p', 1));
  c.record(rec('x', 'q', 2));
  c.record(rec('y', null, 3));
  c.record(rec('z', null, 4));
  assert.deepEqual(c.list().map((s) => [s.session, s.agents]), [['z', { main: 1 }], ['y', { main: 1 }]]);
});
