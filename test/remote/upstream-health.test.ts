// The health policy of remote upstreams (upstream-health): flips after probes and their spell
// numbers, the probe backoff, which upstreams a request may use, and the window enforced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterProbe, candidates, markFailed, newUpstream, probeDelay, upstreamStatus, windowFor, type Upstream } from '../../daemon/remote/upstream-health.js';
import type { UpstreamModel } from '../../daemon/remote/upstream-models.js';
import type { ProbeResult } from '../../daemon/remote/upstream-probe.js';

const ok = (models: UpstreamModel[] | null = [{ id: 'qwen', window: 24576 }], extra: Partial<Extract<ProbeResult, { ok: true }>> = {}): ProbeResult =>
  ({ ok: true, latencyMs: 12, models, window: null, authStyle: 'bearer', busy: null, ...extra });
const down = (error = 'connection refused'): ProbeResult => ({ ok: false, latencyMs: null, error });

/** A gen source that counts its calls. */
function gens(start = 1): { next: () => number; calls: number } {
  const g = { calls: 0, next: () => start + g.calls++ };
  return g;
}

function upstream(url: string, patch: Partial<Upstream>): Upstream {
  return Object.assign(newUpstream(url), patch);
}

test('a new upstream is unhealthy with gen 0 until its first probe', () => {
  const u = newUpstream('http://gpu1:8000');
  assert.equal(u.healthy, false);
  assert.equal(u.gen, 0);
  assert.equal(u.checkedAt, null);
});

test('afterProbe flips health, and assigns a fresh gen only when the upstream becomes healthy', () => {
  const u = newUpstream('http://gpu1:8000');
  const g = gens(1);
  assert.deepEqual(afterProbe(u, ok(), null, 1000, g.next), { became: 'healthy' });
  assert.equal(u.healthy, true);
  assert.equal(u.gen, 1);
  assert.equal(u.checkedAt, 1000);
  assert.equal(u.latencyMs, 12);

  assert.deepEqual(afterProbe(u, ok(), null, 2000, g.next), { became: null }, 'still healthy: no flip');
  assert.equal(g.calls, 1, 'no new gen while it stays healthy');

  assert.deepEqual(afterProbe(u, down('ECONNREFUSED'), null, 3000, g.next), { became: 'unhealthy' });
  assert.equal(u.healthy, false);
  assert.equal(u.lastError, 'ECONNREFUSED');
  assert.equal(u.failures, 1);
  assert.equal(u.gen, 1, 'the failed spell keeps its number');
  assert.equal(u.latencyMs, 12, 'a failed probe with no latency keeps the last one');

  assert.deepEqual(afterProbe(u, down(), null, 4000, g.next), { became: null }, 'still down: no flip');
  assert.equal(u.failures, 2);

  assert.deepEqual(afterProbe(u, ok(), null, 5000, g.next), { became: 'healthy' });
  assert.equal(u.gen, 2, 'back up: a fresh spell');
  assert.equal(u.failures, 0);
  assert.equal(u.lastError, null);
  assert.equal(g.calls, 2);
});

test('a healthy answer whose list lacks the configured model is unhealthy, saying what it serves', () => {
  const u = newUpstream('http://gpu1:8000');
  const g = gens();
  afterProbe(u, ok([{ id: 'qwen', window: null }]), 'qwen', 0, g.next);
  const r = afterProbe(u, ok([{ id: 'llama-3.1-8b', window: null }, { id: 'mistral-7b', window: null }]), 'qwen', 1, g.next);
  assert.deepEqual(r, { became: 'unhealthy' });
  assert.equal(u.healthy, false);
  assert.equal(u.lastError, 'it does not serve qwen (it serves llama-3.1-8b, mistral-7b)');
  assert.equal(g.calls, 1);
});

test('an upstream that lists no models is healthy only when remote.model names one', () => {
  const g = gens();
  const a = newUpstream('http://a');
  assert.deepEqual(afterProbe(a, ok([]), null, 0, g.next), { became: null });
  assert.equal(a.healthy, false);
  assert.equal(a.lastError, 'it lists no models; set remote.model in config.json');

  const b = newUpstream('http://b');
  assert.deepEqual(afterProbe(b, ok(null), 'qwen', 0, g.next), { became: 'healthy' }, 'no /v1/models route: trusted');
  const c = newUpstream('http://c');
  afterProbe(c, ok([]), 'qwen', 0, g.next);
  assert.equal(c.lastError, 'it does not serve qwen (it serves nothing)');
});

test("a probe's window is the asked model's, else the one the probe reports", () => {
  const g = gens();
  const u = newUpstream('http://a');
  afterProbe(u, ok([{ id: 'small', window: 8192 }, { id: 'big', window: 120_000 }]), 'big', 0, g.next);
  assert.equal(u.window, 120_000);
  afterProbe(u, ok([{ id: 'small', window: 8192 }, { id: 'big', window: 120_000 }]), null, 0, g.next);
  assert.equal(u.window, 8192, 'no model configured: the first listed');
  afterProbe(u, ok([{ id: 'qwen', window: null }], { window: 24576 }), null, 0, g.next);
  assert.equal(u.window, 24576, 'from /props when the list says none');
});

test('a busy but answering upstream stays healthy, its note kept as lastError', () => {
  const u = newUpstream('http://a');
  afterProbe(u, ok(undefined, { busy: '503: all slots busy' }), null, 0, gens().next);
  assert.equal(u.healthy, true);
  assert.equal(u.lastError, '503: all slots busy');
});

test('markFailed from a request flips a healthy upstream once', () => {
  const u = upstream('http://a', { healthy: true, gen: 4 });
  assert.deepEqual(markFailed(u, 'socket hang up', 10), { became: 'unhealthy' });
  assert.deepEqual(markFailed(u, 'socket hang up', 11), { became: null });
  assert.equal(u.failures, 2);
  assert.equal(u.gen, 4);
});

test('probeDelay is the interval while healthy', () => {
  assert.equal(probeDelay(upstream('http://a', { healthy: true, failures: 0 }), 10_000), 10_000);
});

test('probeDelay backs off from 250 ms, doubling per failure, capped at three intervals', () => {
  const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 50, 10_000].map((failures) => probeDelay(upstream('http://a', { failures }), 10_000));
  assert.deepEqual(delays, [250, 250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
});

test('with an interval under 250 ms the backoff starts at the interval', () => {
  const delays = [1, 2, 3, 4].map((failures) => probeDelay(upstream('http://a', { failures }), 100));
  assert.deepEqual(delays, [100, 200, 300, 300]);
});

test('candidates keeps the configured order and drops unhealthy upstreams and skipped spells', () => {
  const a = upstream('http://a', { healthy: true, gen: 1 });
  const b = upstream('http://b', { healthy: false, gen: 2 });
  const c = upstream('http://c', { healthy: true, gen: 3 });
  const d = upstream('http://d', { healthy: true, gen: 4 });
  assert.deepEqual(candidates([a, b, c, d], new Set()).map((u) => u.url), ['http://a', 'http://c', 'http://d']);
  assert.deepEqual(candidates([a, b, c, d], new Set([1, 4])).map((u) => u.url), ['http://c']);
  assert.deepEqual(candidates([a, b], new Set([1])), []);
});

test('a skipped spell does not skip the same upstream once it comes back with a new gen', () => {
  const a = upstream('http://a', { healthy: true, gen: 1 });
  const skip = new Set([1]);
  markFailed(a, 'reset', 0);
  afterProbe(a, ok(), null, 1, () => 7);
  assert.deepEqual(candidates([a], skip).map((u) => u.gen), [7]);
});

test('windowFor: the configured window wins over any reported one', () => {
  const ups = [upstream('http://a', { healthy: true, window: 8000 })];
  assert.equal(windowFor(ups, 100_000, 4096), 100_000);
});

test('windowFor: else the smallest window a healthy upstream reports', () => {
  const ups = [
    upstream('http://a', { healthy: true, window: 120_000 }),
    upstream('http://b', { healthy: true, window: 24_576 }),
    upstream('http://c', { healthy: false, window: 2048 }),
    upstream('http://d', { healthy: true, window: null }),
  ];
  assert.equal(windowFor(ups, null, 4096), 24_576, 'the unhealthy one and the silent one do not count');
});

test('windowFor: else the fallback', () => {
  assert.equal(windowFor([], null, 4096), 4096);
  assert.equal(windowFor([upstream('http://a', { healthy: true })], null, 4096), 4096);
  assert.equal(windowFor([upstream('http://a', { healthy: false, window: 9000 })], null, 4096), 4096);
});

test("upstreamStatus reports the upstream's state, checkedAt as an ISO time", () => {
  const u = upstream('http://a', { healthy: true, latencyMs: 12, window: 24576, checkedAt: Date.parse('2026-01-01T00:00:00Z') });
  assert.deepEqual(upstreamStatus(u), { url: 'http://a', healthy: true, latencyMs: 12, lastError: null, contextWindow: 24576, checkedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(upstreamStatus(newUpstream('http://b')).checkedAt, null);
});
