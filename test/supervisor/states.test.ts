import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE_STATES, type EngineState } from '../../daemon/protocol/protocol.js';
import { canTransition, IllegalTransitionError, transition, type EngineEventType } from '../../daemon/supervisor/states.js';

const EVENTS: EngineEventType[] = ['started', 'downloadStarted', 'downloadProgressed', 'downloadFinished', 'healthPassed', 'exited', 'stalled', 'wedged', 'retryScheduled', 'gaveUp', 'startFailed', 'stopped'];

// Every (state, event) pair: the allowed moves with their target, everything else refused.
const ALLOWED: Record<string, EngineState> = {
  'stopped/started': 'loading', 'stopped/downloadStarted': 'downloading', 'stopped/startFailed': 'failed',
  'downloading/started': 'loading', 'downloading/downloadStarted': 'downloading', 'downloading/startFailed': 'failed', 'downloading/stopped': 'stopped',
  'downloading/downloadFinished': 'loading', 'downloading/healthPassed': 'ready', 'downloading/exited': 'crashed', 'downloading/stalled': 'crashed',
  'loading/started': 'loading', 'loading/downloadStarted': 'downloading', 'loading/startFailed': 'failed', 'loading/stopped': 'stopped',
  'loading/downloadProgressed': 'downloading', 'loading/healthPassed': 'ready', 'loading/exited': 'crashed', 'loading/stalled': 'crashed',
  'ready/started': 'loading', 'ready/downloadStarted': 'downloading', 'ready/startFailed': 'failed', 'ready/stopped': 'stopped',
  'ready/exited': 'crashed', 'ready/wedged': 'crashed',
  'crashed/retryScheduled': 'backoff', 'crashed/gaveUp': 'failed', 'crashed/stopped': 'stopped',
  'backoff/started': 'loading', 'backoff/downloadStarted': 'downloading', 'backoff/startFailed': 'failed', 'backoff/stopped': 'stopped',
  'failed/started': 'loading', 'failed/downloadStarted': 'downloading', 'failed/startFailed': 'failed', 'failed/stopped': 'stopped',
};

for (const from of ENGINE_STATES) {
  for (const event of EVENTS) {
    const expected = ALLOWED[`${from}/${event}`];
    test(`${event} in ${from} ${expected ? `moves to ${expected}` : 'is refused'}`, () => {
      if (expected) {
        assert.equal(transition(from, event), expected);
        assert.equal(canTransition(from, event), true);
      } else {
        assert.throws(() => transition(from, event), IllegalTransitionError);
        assert.equal(canTransition(from, event), false);
      }
    });
  }
}

test('a crash can only be left by a retry, giving up or an unload', () => {
  assert.throws(() => transition('crashed', 'started'), /illegal engine transition: started in state crashed/);
});
