// The bounds of every configurable duration, without a process: each holds its maximum, refuses
// one more, stays under Node's 2^31−1 ms timer limit, and takes "never" only where it means "no limit".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DURATION_BOUNDS, NEVER, parseDuration, type DurationKey } from '../../daemon/durations.js';
import { DEFAULT_TUNABLES } from '../../daemon/config.js';

/** Node runs a timer over this after 1 ms (a TimeoutOverflowWarning is all it says). */
const NODE_TIMER_MAX_MS = 2 ** 31 - 1;
const keys = Object.keys(DURATION_BOUNDS) as DurationKey[];

for (const key of keys) {
  const b = DURATION_BOUNDS[key];
  test(`${key} takes ${b.min} to ${b.max} ms${b.never ? ' or "never"' : ''}, and nothing else`, () => {
    assert.ok(b.max < NODE_TIMER_MAX_MS);
    assert.deepEqual(parseDuration(key, b.min), { ms: b.min });
    assert.deepEqual(parseDuration(key, b.max), { ms: b.max });
    assert.ok(b.min <= DEFAULT_TUNABLES[key] && DEFAULT_TUNABLES[key] <= b.max, 'its default is in range');
    for (const bad of [b.min - 1, b.max + 1, 1.5, '1000', null, 9_999_999_999]) assert.ok('problem' in parseDuration(key, bad), `${JSON.stringify(bad)} refused`);
    if (b.never) assert.deepEqual(parseDuration(key, 'never'), { ms: NEVER });
    else assert.ok('problem' in parseDuration(key, 'never'));
  });
}

test('the waits a person may want unlimited are the ones that take "never"', () => {
  assert.deepEqual(keys.filter((k) => DURATION_BOUNDS[k].never).sort(), ['betweenEventsTimeoutMs', 'firstEventTimeoutMs', 'queueTimeoutMs', 'stallTimeoutMs']);
});

test('a refusal names the key, the value, the range and the fix', () => {
  assert.deepEqual(parseDuration('firstEventTimeoutMs', 9_999_999_999), { problem: 'firstEventTimeoutMs is 9999999999; it must be a whole number of milliseconds from 100 to 86400000 (1 day), or "never" for no limit' });
  assert.deepEqual(parseDuration('pingIntervalMs', 20_000), { problem: 'pingIntervalMs is 20000; it must be a whole number of milliseconds from 10 to 15000 (15 s)' });
  const huge = parseDuration('queueTimeoutMs', 'x'.repeat(10_000));
  assert.ok('problem' in huge && huge.problem.length < 200, 'a huge value is not echoed whole');
});
