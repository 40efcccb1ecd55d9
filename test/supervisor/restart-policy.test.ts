import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRestart, shrinkContext } from '../../daemon/supervisor/restart-policy.js';

const policy = { backoffBaseMs: 2000, backoffMaxMs: 60_000, crashLoopMax: 5, crashLoopWindowMs: 600_000 };
const MIN = 60_000;

const cases: Array<[string, number[], number, ReturnType<typeof decideRestart>]> = [
  ['the first crash restarts at once', [0], 0, { action: 'retry', delayMs: 0, attempt: 1 }],
  ['the second crash in the window waits the base delay', [0, 1000], 1000, { action: 'retry', delayMs: 2000, attempt: 2 }],
  ['the third doubles it', [0, 1, 2], 2, { action: 'retry', delayMs: 4000, attempt: 3 }],
  ['the fourth doubles again', [0, 1, 2, 3], 3, { action: 'retry', delayMs: 8000, attempt: 4 }],
  ['the fifth within ten minutes gives up', [0, 1, 2, 3, 4], 4, { action: 'give-up', message: 'the engine crashed 5 times in the last 10 minutes; it will not be restarted' }],
  ['crashes older than the window are forgotten', [0, 1, 2, 3, 11 * MIN], 11 * MIN, { action: 'retry', delayMs: 0, attempt: 1 }],
];
for (const [name, times, now, expected] of cases) {
  test(name, () => assert.deepEqual(decideRestart(times, now, policy), expected));
}

test('the backoff never exceeds its cap', () => {
  const d = decideRestart([0, 1, 2, 3, 4, 5, 6, 7, 8], 9, { ...policy, crashLoopMax: 100 });
  assert.deepEqual(d, { action: 'retry', delayMs: 60_000, attempt: 9 });
});

const shrinks: Array<[number, number, number]> = [[32768, 4096, 16384], [16384, 4096, 8192], [8192, 4096, 4096], [4096, 4096, 4096], [6000, 4096, 4096]];
for (const [from, floor, to] of shrinks) {
  test(`after an OOM a ${from}-token window becomes ${to} (floor ${floor})`, () => assert.equal(shrinkContext(from, floor), to));
}
