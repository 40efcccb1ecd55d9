// How each engine run ended, as the supervisor said (a crash and what it does next, an unload, a
// swap, a stop), kept for the few requests that were on that run when it ended. A request whose
// engine connection broke asks here, and waits a bounded time: the supervisor may hear of a crash
// a little after the socket does.
import type { RunEnd } from '../supervisor/supervisor.js';

/** Runs remembered; only requests on the last one or two ever ask. */
const KEPT = 16;

export class RunEnds {
  readonly #ends = new Map<number, RunEnd>();
  readonly #waiting = new Map<number, Set<(e: RunEnd) => void>>();

  constructor(readonly waitMs: number) {}

  ended(gen: number, end: RunEnd): void {
    this.#ends.set(gen, end);
    for (const old of this.#ends.keys()) { if (this.#ends.size <= KEPT) break; this.#ends.delete(old); }
    for (const w of this.#waiting.get(gen) ?? []) w(end);
    this.#waiting.delete(gen);
  }

  /** How run `gen` ended; null if it has not been said within waitMs. */
  when(gen: number): Promise<RunEnd | null> {
    const known = this.#ends.get(gen);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const set = this.#waiting.get(gen) ?? new Set();
      this.#waiting.set(gen, set);
      const done = (e: RunEnd | null) => { clearTimeout(t); set.delete(done); resolve(e); };
      const t = setTimeout(() => done(null), this.waitMs);
      set.add(done);
    });
  }
}
