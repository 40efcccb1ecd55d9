// What a Messages request does after a relay that did not answer it (retry-policy.ts): once more
// on a local engine, the next upstream on a remote one, a wait when every upstream is overloaded,
// the other auth header once, and the words the client hears when it gives up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshRetryState, nextStep, OVERLOAD_FIRST_WAIT_MS, OVERLOAD_MAX_WAIT_MS, type RetryContext, type RetryStep } from '../../daemon/endpoint/retry-policy.js';
import type { RelayOutcome } from '../../daemon/endpoint/relay-request.js';

const LOCAL = 'the local engine';
const UPSTREAM = 'the upstream https://gpu1:8443';

/** A local engine's context: no failover, its run still going unless `ended` says otherwise. */
const local = (o: Partial<RetryContext> = {}): RetryContext => ({ failover: null, label: LOCAL, ended: null, anotherReady: false, canFlipAuth: false, now: 0, ...o });
/** A remote engine's context with three attempts and 30 s of overload retries. */
const remote = (o: Partial<RetryContext> = {}): RetryContext => ({ failover: { maxAttempts: 3, overloadRetryMs: 30_000 }, label: UPSTREAM, ended: null, anotherReady: false, canFlipAuth: false, now: 0, ...o });

const retryable = (why = 'connection refused', stale?: boolean): RelayOutcome => ({ kind: 'retryable', why, ...(stale === undefined ? {} : { stale }) });
const overloaded = (retryAfterMs: number | null = null, why = '/v1/messages answered 529'): RelayOutcome => ({ kind: 'overloaded', status: 529, retryAfterMs, why });
const authRefused = (message = 'refused the token (401); check remote.tokenFile'): RelayOutcome => ({ kind: 'auth', status: 401, message });

const again = (o: Partial<Extract<RetryStep, { kind: 'again' }>> = {}): RetryStep => ({ kind: 'again', leaveOut: false, report: null, flipAuth: false, waitMs: 0, clearSkip: false, ...o });

function giveUp(step: RetryStep): Extract<RetryStep, { kind: 'give-up' }> {
  assert.equal(step.kind, 'give-up', `expected a give-up, got ${JSON.stringify(step)}`);
  return step as Extract<RetryStep, { kind: 'give-up' }>;
}

function waitOf(step: RetryStep): number {
  assert.equal(step.kind, 'again', `expected another try, got ${JSON.stringify(step)}`);
  return (step as Extract<RetryStep, { kind: 'again' }>).waitMs;
}

test('a fresh retry state has counted nothing and starts the overload backoff at 250 ms', () => {
  const s = freshRetryState();
  assert.deepEqual(s, { unreachable: 0, staleRetried: false, authFlipped: false, overloadUntil: null, overloadWait: OVERLOAD_FIRST_WAIT_MS });
  s.unreachable = 5;
  assert.equal(freshRetryState().unreachable, 0, 'each request gets a state of its own');
});

describe('an outcome that stands is not retried', () => {
  const outcomes: Array<[string, RelayOutcome]> = [
    ['answered', { kind: 'done', status: 200, events: 7, firstEventAt: 1 }],
    ['cut mid-answer', { kind: 'broken', why: 'it crashed', events: 3, firstEventAt: 1 }],
    ['cclocald stopping', { kind: 'stopped', events: 0, firstEventAt: null }],
    ['wedged', { kind: 'wedged', detail: 'no event for 120 s', events: 1, firstEventAt: 1 }],
  ];
  for (const [name, o] of outcomes) {
    test(`${name} → stop (local and remote)`, () => {
      assert.deepEqual(nextStep(o, local(), freshRetryState()), { kind: 'stop' });
      assert.deepEqual(nextStep(o, remote(), freshRetryState()), { kind: 'stop' });
    });
  }
});

describe('the local engine died before answering', () => {
  test('its run still going: once more on the same run, nothing reported', () => {
    assert.deepEqual(nextStep(retryable(), local(), freshRetryState()), again());
  });

  test('its run ended (a crash): once more, leaving the dead run out of the pick', () => {
    assert.deepEqual(nextStep(retryable(), local({ ended: { crashed: true, why: 'it crashed (SIGKILL)' } }), freshRetryState()), again({ leaveOut: true }));
  });

  test('a second failure gives up with 529 "the local engine failed twice", naming why the run ended', () => {
    const s = freshRetryState();
    const c = local({ ended: { crashed: true, why: 'it crashed (SIGKILL); restarting' } });
    assert.equal(nextStep(retryable(), c, s).kind, 'again');
    const g = giveUp(nextStep(retryable(), c, s));
    assert.equal(g.status, 529);
    assert.equal(g.type, 'overloaded_error');
    assert.match(g.message, /the local engine failed twice/);
    assert.match(g.message, /it crashed \(SIGKILL\); restarting/);
    assert.equal(g.noRetry, false);
    assert.equal(g.retryAfterS, null);
  });

  test('a second failure with the run still going names the relay\'s own reason', () => {
    const s = freshRetryState();
    nextStep(retryable('socket hang up'), local(), s);
    assert.match(giveUp(nextStep(retryable('socket hang up'), local(), s)).message, /failed twice before answering \(socket hang up\)/);
  });
});

describe('a remote upstream could not be reached', () => {
  test('each try goes elsewhere and reports the upstream, until failover.maxAttempts → 529', () => {
    const s = freshRetryState();
    const c = remote();
    assert.deepEqual(nextStep(retryable('connect ECONNREFUSED'), c, s), again({ leaveOut: true, report: 'connect ECONNREFUSED' }));
    assert.deepEqual(nextStep(retryable('502 from the gateway'), c, s), again({ leaveOut: true, report: '502 from the gateway' }));
    const g = giveUp(nextStep(retryable('504 from the gateway'), c, s));
    assert.equal(g.status, 529);
    assert.equal(g.type, 'overloaded_error');
    assert.match(g.message, /no remote upstream could answer \(last: 504 from the gateway\)/);
    assert.equal(g.noRetry, false);
    assert.equal(s.unreachable, 3);
  });

  test('maxAttempts 1 gives up on the first failure', () => {
    const c = remote({ failover: { maxAttempts: 1, overloadRetryMs: 0 } });
    assert.equal(giveUp(nextStep(retryable(), c, freshRetryState())).status, 529);
  });

  test('a stale kept-alive socket gets one free retry on the same upstream, without report or skip', () => {
    const s = freshRetryState();
    const c = remote();
    assert.deepEqual(nextStep(retryable('socket hang up', true), c, s), again());
    assert.equal(s.unreachable, 0, 'the free retry is not counted');
    // A second stale socket is counted like any other failure.
    assert.deepEqual(nextStep(retryable('socket hang up', true), c, s), again({ leaveOut: true, report: 'socket hang up' }));
    assert.equal(s.unreachable, 1);
    assert.deepEqual(nextStep(retryable('ECONNRESET'), c, s), again({ leaveOut: true, report: 'ECONNRESET' }));
    assert.equal(giveUp(nextStep(retryable('ECONNRESET'), c, s)).status, 529, 'the free retry did not extend maxAttempts');
  });
});

describe('a remote upstream refused for load', () => {
  test('another upstream ready: tried at once, the refusing one skipped', () => {
    assert.deepEqual(nextStep(overloaded(5000), remote({ anotherReady: true }), freshRetryState()), again({ leaveOut: true }));
  });

  test('none ready: waits for its retry-after, then every upstream may be asked again', () => {
    assert.deepEqual(nextStep(overloaded(2000), remote(), freshRetryState()), again({ leaveOut: true, waitMs: 2000, clearSkip: true }));
  });

  test('a retry-after shorter than the backoff waits the backoff', () => {
    const s = freshRetryState();
    s.overloadWait = 1000;
    assert.equal(waitOf(nextStep(overloaded(100), remote(), s)), 1000);
  });

  test('"retry-after: 0" still waits at least 250 ms (no retry storm)', () => {
    const w = waitOf(nextStep(overloaded(0), remote(), freshRetryState()));
    assert.ok(w >= 250, `waited ${w} ms`);
  });

  test('the backoff doubles 250 → 500 → … → 8000 and stays at the cap', () => {
    const s = freshRetryState();
    const c = remote({ failover: { maxAttempts: 3, overloadRetryMs: 600_000 } });
    const waits = Array.from({ length: 8 }, () => waitOf(nextStep(overloaded(null), c, s)));
    assert.deepEqual(waits, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(s.overloadWait, OVERLOAD_MAX_WAIT_MS);
  });

  test('the wait is capped by what is left of overloadRetryMs', () => {
    const s = freshRetryState();
    nextStep(overloaded(null), remote({ now: 1000 }), s); // the retries end at 31 000
    assert.equal(waitOf(nextStep(overloaded(8000), remote({ now: 30_600 }), s)), 400);
  });

  test('once overloadRetryMs has passed: 529 overloaded_error with a retry-after of at least 1 s', () => {
    const s = freshRetryState();
    nextStep(overloaded(0), remote({ now: 1000 }), s);
    const g = giveUp(nextStep(overloaded(0, '/v1/messages answered 429'), remote({ now: 31_000 }), s));
    assert.equal(g.status, 529);
    assert.equal(g.type, 'overloaded_error');
    assert.match(g.message, /overloaded \(\/v1\/messages answered 429\)/);
    assert.ok(g.retryAfterS !== null && g.retryAfterS >= 1, `retryAfterS ${g.retryAfterS}`);
    assert.equal(g.noRetry, false);
  });

  test('the give-up passes on a longer retry-after, in whole seconds', () => {
    const s = freshRetryState();
    nextStep(overloaded(null), remote({ now: 0 }), s);
    assert.equal(giveUp(nextStep(overloaded(4500), remote({ now: 40_000 }), s)).retryAfterS, 5);
  });

  test('overloadRetryMs 0 gives up at the first refusal when no other upstream is ready', () => {
    const c = remote({ failover: { maxAttempts: 3, overloadRetryMs: 0 } });
    assert.equal(giveUp(nextStep(overloaded(null), c, freshRetryState())).status, 529);
  });
});

describe('a remote upstream refused the credentials (401/403)', () => {
  test('with a token: once more with the other auth header, then 502 api_error naming the upstream', () => {
    const s = freshRetryState();
    const c = remote({ canFlipAuth: true });
    assert.deepEqual(nextStep(authRefused(), c, s), again({ flipAuth: true }));
    const g = giveUp(nextStep(authRefused(), c, s));
    assert.equal(g.status, 502);
    assert.equal(g.type, 'api_error');
    assert.equal(g.noRetry, true);
    assert.equal(g.retryAfterS, null);
    assert.equal(g.message, `${UPSTREAM} refused the token (401); check remote.tokenFile`);
  });

  test('without a token to flip: 502 at once', () => {
    const s = freshRetryState();
    const g = giveUp(nextStep(authRefused('asks for a key (403)'), remote({ canFlipAuth: false }), s));
    assert.equal(g.status, 502);
    assert.equal(g.noRetry, true);
    assert.ok(g.message.startsWith(UPSTREAM));
    assert.equal(s.authFlipped, false);
  });
});
