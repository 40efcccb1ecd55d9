// What a Messages request does after a relay that did not answer it: try again (where, after how
// long) or give up with the words the client hears. Nothing of the answer has reached the client
// in any of these cases. Pure; messages.ts does the I/O.
//
//   local engine, died before answering ─→ once more, on the restarted run   ─→ 529
//   remote upstream, unreachable / 502 / 504 ─→ the next healthy one, each once, plus one ─→ 529
//   remote upstream, a kept-alive socket it had closed ─→ once more on the same one
//   remote upstream, 429 / 503 / 529 ─→ another that has not refused, else wait and ask all again,
//                                      until overloadRetryMs ─→ 529 with retry-after
//   remote upstream, 401 / 403 ─→ once more with the other auth header ─→ 502 naming remote.tokenFile
import type { Failover } from '../supervisor/ready-waiters.js';
import type { RunEnd } from '../supervisor/supervisor.js';
import type { AnthropicErrorType } from './anthropic-errors.js';
import type { RelayOutcome } from './relay-request.js';

/** The first wait after every upstream refused for load; it doubles up to the cap. */
export const OVERLOAD_FIRST_WAIT_MS = 250;
export const OVERLOAD_MAX_WAIT_MS = 8000;

export interface RetryState {
  /** Tries that could not reach an engine (stale sockets not counted). */
  unreachable: number;
  staleRetried: boolean;
  authFlipped: boolean;
  overloadUntil: number | null;
  overloadWait: number;
}

export const freshRetryState = (): RetryState => ({ unreachable: 0, staleRetried: false, authFlipped: false, overloadUntil: null, overloadWait: OVERLOAD_FIRST_WAIT_MS });

export interface RetryContext {
  /** The engine's failover bounds; null for a local engine. */
  failover: Failover | null;
  label: string;
  /** A local engine: how its run ended, if it has (the retry then waits for the next run). */
  ended: RunEnd | null;
  /** A healthy upstream that has not refused this request is there now. */
  anotherReady: boolean;
  /** The upstream has a token whose header could be sent the other way. */
  canFlipAuth: boolean;
  now: number;
}

export type RetryStep =
  /** The outcome stands (answered, cut mid-answer, stopping, wedged). */
  | { kind: 'stop' }
  | {
    kind: 'again';
    /** Leave this run or upstream spell out of the next pick. */
    leaveOut: boolean;
    /** Tell the remote engine the upstream failed (it is marked unhealthy and probed). */
    report: string | null;
    /** Switch the upstream to its other auth header first. */
    flipAuth: boolean;
    waitMs: number;
    /** After the wait every upstream may be asked again. */
    clearSkip: boolean;
  }
  | { kind: 'give-up'; status: number; type: AnthropicErrorType; message: string; retryAfterS: number | null; noRetry: boolean };

const again = (o: Partial<Extract<RetryStep, { kind: 'again' }>> = {}): RetryStep => ({ kind: 'again', leaveOut: false, report: null, flipAuth: false, waitMs: 0, clearSkip: false, ...o });

export function nextStep(o: RelayOutcome, c: RetryContext, s: RetryState): RetryStep {
  switch (o.kind) {
    case 'retryable': return unreachable(o.why, o.stale === true, c, s);
    case 'overloaded': return overloaded(o, c, s);
    case 'auth': return auth(o.message, c, s);
    default: return { kind: 'stop' };
  }
}

function unreachable(why: string, stale: boolean, c: RetryContext, s: RetryState): RetryStep {
  // The server closed an idle kept-alive connection just as it was reused: not the upstream's fault.
  if (stale && !s.staleRetried) { s.staleRetried = true; return again(); }
  s.unreachable++;
  if (c.failover) {
    if (s.unreachable < c.failover.maxAttempts) return again({ leaveOut: true, report: why });
    return { kind: 'give-up', status: 529, type: 'overloaded_error', message: `no remote upstream could answer (last: ${why}); retry shortly`, retryAfterS: null, noRetry: false };
  }
  // A local engine: once more, on the next run if this one ended (a crash, a swap), else on the same.
  if (s.unreachable === 1) return again({ leaveOut: c.ended !== null });
  return { kind: 'give-up', status: 529, type: 'overloaded_error', message: `the local engine failed twice before answering (${c.ended?.why ?? why}); retry shortly`, retryAfterS: null, noRetry: false };
}

function overloaded(o: Extract<RelayOutcome, { kind: 'overloaded' }>, c: RetryContext, s: RetryState): RetryStep {
  s.overloadUntil ??= c.now + (c.failover?.overloadRetryMs ?? 0);
  if (c.anotherReady) return again({ leaveOut: true });
  const left = s.overloadUntil - c.now;
  // Its retry-after, but never less than the backoff: a "retry-after: 0" is not a licence to storm.
  const wait = Math.max(o.retryAfterMs ?? 0, s.overloadWait);
  if (left <= 0) {
    return { kind: 'give-up', status: 529, type: 'overloaded_error', message: `the remote upstreams are overloaded (${o.why}); retry shortly`, retryAfterS: Math.max(1, Math.ceil(wait / 1000)), noRetry: false };
  }
  s.overloadWait = Math.min(s.overloadWait * 2, OVERLOAD_MAX_WAIT_MS);
  return again({ leaveOut: true, waitMs: Math.min(wait, left), clearSkip: true });
}

function auth(message: string, c: RetryContext, s: RetryState): RetryStep {
  if (!s.authFlipped && c.canFlipAuth) { s.authFlipped = true; return again({ flipAuth: true }); }
  return { kind: 'give-up', status: 502, type: 'api_error', message: `${c.label} ${message}`, retryAfterS: null, noRetry: true };
}
