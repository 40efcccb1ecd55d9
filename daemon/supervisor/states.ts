// The engine's lifecycle as one table. Pure: no I/O, no clock.
//
//   stopped ─started→ loading ─healthPassed→ ready
//      └─downloadStarted→ downloading ─downloadFinished→ loading
//   downloading | loading | ready ─exited | stalled | wedged→ crashed
//   crashed ─retryScheduled→ backoff ─started→ loading      crashed ─gaveUp→ failed
//   any ─stopped→ stopped;  a start that cannot run (no engine, port taken) ─startFailed→ failed
import type { EngineState } from '../protocol/protocol.js';

export type EngineEventType =
  | 'started' | 'downloadStarted' | 'downloadProgressed' | 'downloadFinished' | 'healthPassed'
  | 'exited' | 'stalled' | 'wedged' | 'retryScheduled' | 'gaveUp' | 'startFailed' | 'stopped';

type Moves = Partial<Record<EngineEventType, EngineState>>;

// One row per state, every move written out. A swap (load of another model) or a restart from
// backoff stops the old engine first, then reports `started`: the state goes straight to loading,
// never through stopped, so a client watching events never mistakes a swap for an unload. A start
// that throws on the way (no log folder, a full disk, no record) is `startFailed` from wherever
// the start began.
export const MOVES: Readonly<Record<EngineState, Moves>> = Object.freeze({
  stopped: { started: 'loading', downloadStarted: 'downloading', startFailed: 'failed' },
  downloading: { started: 'loading', downloadStarted: 'downloading', startFailed: 'failed', stopped: 'stopped', downloadFinished: 'loading', healthPassed: 'ready', exited: 'crashed', stalled: 'crashed' },
  loading: { started: 'loading', downloadStarted: 'downloading', startFailed: 'failed', stopped: 'stopped', downloadProgressed: 'downloading', healthPassed: 'ready', exited: 'crashed', stalled: 'crashed' },
  ready: { started: 'loading', downloadStarted: 'downloading', startFailed: 'failed', stopped: 'stopped', exited: 'crashed', wedged: 'crashed' },
  crashed: { retryScheduled: 'backoff', gaveUp: 'failed', stopped: 'stopped' },
  backoff: { started: 'loading', downloadStarted: 'downloading', startFailed: 'failed', stopped: 'stopped' },
  failed: { started: 'loading', downloadStarted: 'downloading', startFailed: 'failed', stopped: 'stopped' },
});

export class IllegalTransitionError extends Error {
  constructor(readonly from: EngineState, readonly event: EngineEventType) {
    super(`illegal engine transition: ${event} in state ${from}`);
  }
}

export function transition(from: EngineState, event: EngineEventType): EngineState {
  const to = MOVES[from][event];
  if (!to) throw new IllegalTransitionError(from, event);
  return to;
}

export function canTransition(from: EngineState, event: EngineEventType): boolean {
  return MOVES[from][event] !== undefined;
}

/** States in which an engine process is (or should be) running. */
export function hasProcess(state: EngineState): boolean {
  return state === 'downloading' || state === 'loading' || state === 'ready';
}
