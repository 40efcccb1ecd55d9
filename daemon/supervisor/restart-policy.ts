// When to bring a crashed engine back, and when to stop trying. Pure: times come in as numbers.

export interface RestartPolicyConfig {
  /** Delay before the second restart in a row; doubles after each further crash. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** This many crashes inside crashLoopWindowMs end in `failed`. */
  crashLoopMax: number;
  crashLoopWindowMs: number;
  /** Out-of-memory halving stops here. */
  contextFloor: number;
}

export type RestartDecision =
  | { action: 'retry'; delayMs: number; attempt: number }
  | { action: 'give-up'; message: string; hint?: string };

/**
 * Out-of-memory crashes with the window already at the floor, within the crash-loop window,
 * that end in `failed`. Shrinking cannot help there, so restarting only reloads gigabytes of
 * weights while every request waits. The first is still retried: memory another program took
 * for a moment (a browser, a build) comes back, and the request that hit it is then served
 * unseen. The second shows the shortage is steady, and a person must free memory.
 */
export const OOMS_AT_FLOOR_MAX = 2;

/**
 * `crashTimesMs` holds every crash since the last load, the newest included; `oomsAtFloorMs`
 * those of them that were out of memory with nothing left to shrink (see shrinkContext).
 * The first crash restarts at once (an OOM is usually a one-off after a long prompt);
 * repeats back off exponentially; a crash loop, or OOMs at the floor, give up with a message a
 * person can act on.
 */
export function decideRestart(crashTimesMs: readonly number[], nowMs: number, p: RestartPolicyConfig, oomsAtFloorMs: readonly number[] = []): RestartDecision {
  const inWindow = (t: number) => nowMs - t <= p.crashLoopWindowMs;
  const atFloor = oomsAtFloorMs.filter(inWindow).length;
  if (atFloor >= OOMS_AT_FLOOR_MAX) {
    return {
      action: 'give-up',
      message: `the engine ran out of memory ${atFloor} times in the last ${formatWindow(p.crashLoopWindowMs)} with its context window already at the floor (${p.contextFloor} tokens), where a smaller one would not hold Claude Code's own prompt; it will not be restarted`,
      hint: 'free GPU memory (quit other programs that use it: browsers, other model servers, VMs) or pick a smaller model, then `cclocald load <model>`',
    };
  }
  const recent = crashTimesMs.filter(inWindow).length;
  if (recent >= p.crashLoopMax) {
    return {
      action: 'give-up',
      message: `the engine crashed ${recent} times in the last ${formatWindow(p.crashLoopWindowMs)}; it will not be restarted`,
    };
  }
  const attempt = Math.max(1, recent);
  const delayMs = attempt === 1 ? 0 : Math.min(p.backoffMaxMs, p.backoffBaseMs * 2 ** (attempt - 2));
  return { action: 'retry', delayMs, attempt };
}

function formatWindow(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}

/** After a Metal OOM the next run gets half the prompt budget, never below the floor. */
export function shrinkContext(current: number, floor: number): number {
  return Math.max(floor, Math.floor(current / 2));
}
