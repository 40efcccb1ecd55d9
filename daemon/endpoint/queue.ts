// A bounded queue in front of the engine: requests go through `concurrency()` at a time (1 for a
// local engine: two long Claude Code prompts at once OOM a 24 GB Mac, seed #7; more for a remote
// cluster), fairly. Turns go round the Claude Code sessions that wait (x-claude-code-session-id),
// and within a session round its lanes: the main loop, each subagent (x-claude-code-agent-id),
// and background calls (no agent id and no tools: titles, summaries); first come first served
// within a lane. So a burst of subagent calls cannot hold the main conversation back for long,
// nor a session with many subagents another session. Requests without those headers share one
// session, and with one lane that is plain arrival order.

import { NEVER } from '../durations.js';

export class QueueFullError extends Error {}
export class QueueTimeoutError extends Error {}
export class QueueAbortedError extends Error {}

interface Waiter { grant(release: () => void): void; fail(err: Error): void }

export class RequestQueue {
  #active = 0;
  #waiting = 0;
  /** Sessions with requests waiting, and in each its lanes, in turn order (served → to the back). */
  readonly #sessions = new Map<string, Map<string, Waiter[]>>();
  readonly #limit: () => number;

  constructor(concurrency: number | (() => number), readonly maxWaiting: number) {
    this.#limit = typeof concurrency === 'number' ? () => concurrency : concurrency;
  }

  get concurrency(): number { return this.#limit(); }
  get depth(): number { return this.#waiting; }
  get active(): number { return this.#active; }

  /** Resolves with a release function once it is this request's turn. */
  acquire(timeoutMs: number, signal?: AbortSignal, flow: Flow = ONE_FLOW): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new QueueAbortedError('the client went away'));
    if (this.#active < this.#limit() && this.#waiting === 0) return Promise.resolve(this.#grant());
    if (this.#waiting >= this.maxWaiting) return Promise.reject(new QueueFullError(`${this.#waiting} requests are already waiting`));
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const lanes = this.#sessions.get(flow.session);
        const list = lanes?.get(flow.lane);
        const i = list?.indexOf(waiter) ?? -1;
        if (lanes && list && i !== -1) {
          list.splice(i, 1);
          this.#waiting--;
          if (list.length === 0) lanes.delete(flow.lane);
          if (lanes.size === 0) this.#sessions.delete(flow.session);
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
      let lanes = this.#sessions.get(flow.session);
      if (!lanes) this.#sessions.set(flow.session, (lanes = new Map()));
      const list = lanes.get(flow.lane);
      if (list) list.push(waiter); else lanes.set(flow.lane, [waiter]);
      this.#waiting++;
    });
  }

  /** The next waiter: the first of the lane whose turn it is in the session whose turn it is;
   *  both then go to the back of their turn order. */
  #next(): Waiter | undefined {
    for (const [session, lanes] of this.#sessions) {
      for (const [lane, list] of lanes) {
        const w = list.shift();
        this.#waiting--;
        lanes.delete(lane);
        if (list.length > 0) lanes.set(lane, list);
        this.#sessions.delete(session);
        if (lanes.size > 0) this.#sessions.set(session, lanes);
        return w;
      }
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

/** Where a request waits its turn: its session, and its lane within the session. */
export interface Flow { session: string; lane: string }
const ONE_FLOW: Flow = { session: '', lane: '' };

/** Longer than any id Claude Code sends; a longer header is cut, not trusted to size a map key. */
const MAX_ID_CHARS = 200;

/** The flow a request belongs to, from Claude Code's session and agent headers, and whether it
 *  offers tools (the main loop and subagents do; background calls do not). */
export function flowOf(headers: Record<string, string | string[] | undefined>, body?: Record<string, unknown>): Flow {
  const one = (h: string) => { const v = headers[h]; return typeof v === 'string' ? v.slice(0, MAX_ID_CHARS) : ''; };
  const agent = one('x-claude-code-agent-id');
  const tools = Array.isArray(body?.tools) && body.tools.length > 0;
  return { session: one('x-claude-code-session-id'), lane: agent ? `agent:${agent}` : tools || !body ? 'main' : 'background' };
}
