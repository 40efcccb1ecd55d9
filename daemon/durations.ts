// Every duration a person may set in config.json, with its bounds, in one table. Pure.
// Node runs a timer over 2^31−1 ms (about 24.8 days) after 1 ms, with only a warning, so an
// unbounded value would act as its opposite: a day-long wait would fire at once. The maxima stay
// far below that; a wait that should have no limit says "never" instead.

/** "never" in config.json: no timer at all. Code that arms a timer for one of these skips it. */
export const NEVER = Infinity;

/** What config.json may hold for a duration that can be turned off. */
export const NEVER_WORD = 'never';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface DurationBound {
  min: number;
  max: number;
  /** Whether "never" makes sense: a wait a person may want unlimited, never a poll or a grace. */
  never: boolean;
}

export const DURATION_BOUNDS = {
  // Polls: below 10 ms the daemon spins; an hour apart they would see nothing in time.
  healthPollMs: { min: 10, max: MINUTE, never: false },
  progressIntervalMs: { min: 10, max: MINUTE, never: false },
  memoryPollMs: { min: 10, max: HOUR, never: false },
  downloadQuietMs: { min: 10, max: HOUR, never: false },
  // A start that hears nothing for this long is given up ("never": a very slow link).
  stallTimeoutMs: { min: 100, max: DAY, never: true },
  backoffBaseMs: { min: 1, max: HOUR, never: false },
  backoffMaxMs: { min: 1, max: HOUR, never: false },
  // A window to count crashes in, not a timer; a day is already "all of them".
  crashLoopWindowMs: { min: SECOND, max: DAY, never: false },
  // The engine must end for teardown to end: a stop grace without a limit would hang stop.
  // At most 20 s: the login services allow 30 s for a whole stop (launchd ExitTimeOut, systemd
  // TimeoutStopSec, `cclocald stop`), which also holds the 2 s drain and the 5 s kill wait.
  stopGraceMs: { min: 10, max: 20 * SECOND, never: false },
  queueTimeoutMs: { min: 100, max: DAY, never: true },
  firstEventTimeoutMs: { min: 100, max: DAY, never: true },
  betweenEventsTimeoutMs: { min: 100, max: DAY, never: true },
  // The contract: a waiting stream hears from the endpoint at least every 15 s.
  pingIntervalMs: { min: 10, max: 15 * SECOND, never: false },
  // A request's headers and body arrive in milliseconds over loopback; a client that holds a
  // half-sent body holds a file descriptor, so this can never be "never".
  requestTimeoutMs: { min: 100, max: 10 * MINUTE, never: false },
} as const satisfies Record<string, DurationBound>;

export type DurationKey = keyof typeof DURATION_BOUNDS;

export function isDurationKey(key: string): key is DurationKey {
  return Object.hasOwn(DURATION_BOUNDS, key);
}

/** config.json's value for `key` → milliseconds (NEVER for "never"), or what is wrong with it
 *  and how to write it instead. */
export function parseDuration(key: DurationKey, value: unknown): { ms: number } | { problem: string } {
  const b: DurationBound = DURATION_BOUNDS[key];
  if (b.never && value === NEVER_WORD) return { ms: NEVER };
  if (typeof value === 'number' && Number.isInteger(value) && value >= b.min && value <= b.max) return { ms: value };
  const range = `a whole number of milliseconds from ${b.min} to ${b.max} (${human(b.max)})`;
  const fix = b.never ? `${range}, or "${NEVER_WORD}" for no limit` : range;
  return { problem: `${key} is ${String(JSON.stringify(value)).slice(0, 60)}; it must be ${fix}` };
}

function human(ms: number): string {
  if (ms >= DAY && ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? '' : 's'}`;
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms >= MINUTE && ms % MINUTE === 0) return `${ms / MINUTE} min`;
  return `${ms / SECOND} s`;
}
