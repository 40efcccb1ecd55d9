// Waits on the daemon's own notifications: no sleeps. Every event is kept, so one that arrived
// before the wait began is still found; a timeout names what was awaited and the last events.
import type { DaemonClient } from '../../daemon/protocol/connect.js';
import type { DaemonEvent } from '../../daemon/protocol/protocol.js';

export const DEFAULT_WAIT_MS = 20_000;

export class EventLog {
  readonly all: DaemonEvent[] = [];
  #cursor = 0;
  #wake: (() => void) | null = null;

  constructor(client: DaemonClient) {
    client.onEvent((e) => { this.all.push(e); this.#wake?.(); });
  }

  /** The next event after the previous match that satisfies `pred`. */
  async next<T extends DaemonEvent>(pred: (e: DaemonEvent) => e is T, what: string, timeoutMs?: number): Promise<T>;
  async next(pred: (e: DaemonEvent) => boolean, what: string, timeoutMs?: number): Promise<DaemonEvent>;
  async next(pred: (e: DaemonEvent) => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<DaemonEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.all.length) {
        const e = this.all[this.#cursor++]!;
        if (pred(e)) return e;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const recent = this.all.slice(-10).map((e) => JSON.stringify(e)).join('\n  ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last events:\n  ${recent || '(none)'}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(timer); this.#wake = null; resolve(); };
      });
    }
  }

  ofType<K extends DaemonEvent['type']>(type: K): Extract<DaemonEvent, { type: K }>[] {
    return this.all.filter((e): e is Extract<DaemonEvent, { type: K }> => e.type === type);
  }
}

export const isState = (to: DaemonEvent extends infer _ ? string : never) => (e: DaemonEvent) => e.type === 'state' && e.to === to;
export const isType = <K extends DaemonEvent['type']>(type: K) => (e: DaemonEvent): e is Extract<DaemonEvent, { type: K }> => e.type === type;
