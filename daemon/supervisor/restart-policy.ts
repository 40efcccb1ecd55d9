// When to bring a crashed engine back, and when to stop trying. Pure: times come in as numbers.

export interface RestartPolicyConfig {
  /** Delay before the second restart in a row; doubles after each further crash. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** This many crashes inside crashLoopWindowMs end in `failed`. */
  crashLoopMax: number;
  crashLoopWindowMs: number;
}

export type RestartDecision =
  | { action: 'retry'; delayMs: number; attempt: number }
  | { action: 'give-up'; message: string };

/**
 * `crashTimesMs` holds every crash since the last load, the newest included.
 * The first crash restarts at once (an OOM is usually a one-off after a long prompt);
 * repeats back off exponentially; a crash loop gives up with a message a person can act on.
 */
export function decideRestart(crashTimesMs: readonly number[], nowMs: number, p: RestartPolicyConfig): RestartDecision {
  const recent = crashTimesMs.filter((t) => nowMs - t <= p.crashLoopWindowMs).length;
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
