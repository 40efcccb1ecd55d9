// A bounded queue in front of the engine: requests go through `concurrency()` at a time (1 for a
// local engine: two long Claude Code prompts at once OOM a 24 GB Mac, seed #7; more for a remote
// cluster), fairly between flows. A flow is one Claude Code session's main loop, or one of its
// subagents (x-claude-code-session-id, x-claude-code-agent-id): turns go round the flows that
// wait, first come first served within each, so a burst of subagent calls cannot hold the main
// conversation back for long, nor one session another. Requests without those headers share one
// flow, which is plain arrival order.

import { NEVER } from '../durations.js';

export class QueueFullError extends Error {}
export class QueueTimeoutError extends Error {}
export class QueueAbortedError extends Error {}

interface Waiter { grant(release: () => void): void; fail(err: Error): void }

export class RequestQueue {
  #active = 0;
  #waiting = 0;
  /** Flows with requests waiting, in turn order (a flow served goes to the back). */
  readonly #flows = new Map<string, Waiter[]>();
  readonly #limit: () => number;

  constructor(concurrency: number | (() => number), readonly maxWaiting: number) {
    this.#limit = typeof concurrency === 'number' ? () => concurrency : concurrency;
  }

  get concurrency(): number { return this.#limit(); }
  get depth(): number { return this.#waiting; }
  get active(): number { return this.#active; }

  /** Resolves with a release function once it is this request's turn. */
  acquire(timeoutMs: number, signal?: AbortSignal, flow = ''): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new QueueAbortedError('the client went away'));
    if (this.#active < this.#limit() && this.#waiting === 0) return Promise.resolve(this.#grant());
    if (this.#waiting >= this.maxWaiting) return Promise.reject(new QueueFullError(`${this.#waiting} requests are already waiting`));
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const list = this.#flows.get(flow);
        const i = list?.indexOf(waiter) ?? -1;
        if (list && i !== -1) {
          list.splice(i, 1);
          this.#waiting--;
          if (list.length === 0) this.#flows.delete(flow);
        }
      };
      const waiter: Waiter = {
        grant: (release) => { leave(); resolve(release); },
        fail: (err) => { leave(); reject(err); },
      };
      // NEVER (config.json's "never"): wait for a turn as long as it takes.
      const timer = timeoutMs === NEVER ? undefined : setTimeout(() => waiter.fail(new QueueTimeoutError(`waited ${Math.round(timeoutMs / 1000)} s for a turn`)), timeoutMs);
      const onAbort = () => waiter.fail(new QueueAbortedError('the client went away'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.#flows.get(flow);
      if (list) list.push(waiter); else this.#flows.set(flow, [waiter]);
      this.#waiting++;
    });
  }

  /** The next waiter: the first of the flow whose turn it is; that flow then goes to the back. */
  #next(): Waiter | undefined {
    for (const [flow, list] of this.#flows) {
      const w = list.shift();
      this.#waiting--;
      this.#flows.delete(flow);
      if (list.length > 0) this.#flows.set(flow, list);
      return w;
    }
    return undefined;
  }

  #grant(): () => void {
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      // More than one may go when the limit rose meanwhile (a switch to a remote engine).
      while (this.#active < this.#limit()) {
        const next = this.#next();
        if (!next) break;
        next.grant(this.#grant());
      }
    };
  }
}

/** Longer than any id Claude Code sends; a longer header is cut, not trusted to size a map key. */
const MAX_ID_CHARS = 200;

/** The flow a request belongs to, from Claude Code's session and agent headers. */
export function flowOf(headers: Record<string, string | string[] | undefined>): string {
  const one = (h: string) => { const v = headers[h]; return typeof v === 'string' ? v.slice(0, MAX_ID_CHARS) : ''; };
  const session = one('x-claude-code-session-id');
  const agent = one('x-claude-code-agent-id');
  return session || agent ? `${session}\u0000${agent}` : '';
}
