import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRestart, shrinkContext } from '../../daemon/supervisor/restart-policy.js';

const policy = { backoffBaseMs: 2000, backoffMaxMs: 60_000, crashLoopMax: 5, crashLoopWindowMs: 600_000, contextFloor: 16384 };
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

test('an out-of-memory crash at the floor is still retried once: the memory may come back', () => {
  assert.deepEqual(decideRestart([0, 1000], 1000, policy, [1000]), { action: 'retry', delayMs: 2000, attempt: 2 });
});

test('a second out-of-memory crash at the floor gives up at once, naming memory and what to free', () => {
  const d = decideRestart([0, 1000, 3000], 3000, policy, [1000, 3000]);
  assert.equal(d.action, 'give-up');
  assert.ok(d.action === 'give-up');
  assert.equal(d.message, "the engine ran out of memory 2 times in the last 10 minutes with its context window already at the floor (16384 tokens), where a smaller one would not hold Claude Code's own prompt; it will not be restarted");
  assert.match(d.hint!, /free GPU memory \(quit other programs that use it.*\) or pick a smaller model, then `cclocald load <model>`/);
});

test('out-of-memory crashes at the floor older than the window are forgotten', () => {
  assert.equal(decideRestart([0, 11 * MIN], 11 * MIN, policy, [0, 11 * MIN]).action, 'retry');
});

test('one out-of-memory crash at the floor among other crashes backs off like them', () => {
  assert.deepEqual(decideRestart([0, 1, 2], 2, policy, [0]), { action: 'retry', delayMs: 4000, attempt: 3 });
});

const shrinks: Array<[number, number, number]> = [[32768, 4096, 16384], [16384, 4096, 8192], [8192, 4096, 4096], [4096, 4096, 4096], [6000, 4096, 4096], [32768, 16384, 16384], [16384, 16384, 16384]];
for (const [from, floor, to] of shrinks) {
  test(`after an OOM a ${from}-token window becomes ${to} (floor ${floor})`, () => assert.equal(shrinkContext(from, floor), to));
}
