// A bounded FIFO in front of the engine: requests go through `concurrency` at a time (1 by
// default: two long Claude Code prompts at once OOM a 24 GB Mac, seed #7), in arrival order.

import { NEVER } from '../durations.js';

export class QueueFullError extends Error {}
export class QueueTimeoutError extends Error {}
export class QueueAbortedError extends Error {}

interface Waiter { grant(release: () => void): void; fail(err: Error): void }

export class RequestQueue {
  #active = 0;
  readonly #waiting: Waiter[] = [];

  constructor(readonly concurrency: number, readonly maxWaiting: number) {}

  get depth(): number { return this.#waiting.length; }
  get active(): number { return this.#active; }

  /** Resolves with a release function once it is this request's turn. */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<() => void> {
    if (this.#active < this.concurrency && this.#waiting.length === 0) return Promise.resolve(this.#grant());
    if (this.#waiting.length >= this.maxWaiting) return Promise.reject(new QueueFullError(`${this.#waiting.length} requests are already waiting`));
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.#waiting.indexOf(waiter);
        if (i !== -1) this.#waiting.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: (release) => { leave(); resolve(release); },
        fail: (err) => { leave(); reject(err); },
      };
      // NEVER (config.json's "never"): wait for a turn as long as it takes.
      const timer = timeoutMs === NEVER ? undefined : setTimeout(() => waiter.fail(new QueueTimeoutError(`waited ${Math.round(timeoutMs / 1000)} s for a turn`)), timeoutMs);
      const onAbort = () => waiter.fail(new QueueAbortedError('the client went away'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #grant(): () => void {
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      const next = this.#waiting[0];
      if (next && this.#active < this.concurrency) next.grant(this.#grant());
    };
  }
}
