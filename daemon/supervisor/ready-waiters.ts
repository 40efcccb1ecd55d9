// Who is waiting for the engine to become ready: `load` callers (for one model) and endpoint
// requests (for whatever model is ready, but not an engine run they just saw die). Used by the
// supervisor (local engines) and the remote engine alike.
import type { LoadResult } from '../protocol/protocol.js';
import type { Transport } from '../endpoint/transport.js';

/** For a remote engine: a request that fails before its first answer moves on, and an upstream
 *  that refuses for load is asked again, within these bounds. */
export interface Failover {
  /** Upstreams a request may try when one cannot be reached (each healthy one once, plus one). */
  maxAttempts: number;
  /** How long refusals for overload (429, 503, 529) are retried before the client hears 529. */
  overloadRetryMs: number;
}

/** A ready engine as the endpoint needs it; `gen` tells one engine run from the next. */
export interface ReadyEngine {
  gen: number;
  url: string;
  model: string;
  contextWindow: number;
  /** As in status: the default that contextWindow is below, else null. */
  contextShrunkFrom: number | null;
  /** Headers every request to it carries (the key the daemon gave it; never the client's). */
  auth: Record<string, string>;
  /** Its message_start carries the prompt's size: no count beside the prefill is needed. */
  streamsPromptTokens: boolean;
  /** The engine's own "prompt too long" answer → its numbers (the engine kind's reading). */
  overflow(status: number, body: string): { tokens: number; max: number } | null;
  /** How requests reach it (loopback HTTP, or a remote's HTTP(S) with its CA). */
  transport: Transport;
  /** What a client is told it is, in an error: "the local engine", "the upstream https://…". */
  label: string;
  /** null for a local engine: one retry on the restarted engine, its refusals passed on. */
  failover: Failover | null;
  /** Client headers this engine may also see (a remote router's session affinity). */
  forwardHeaders: readonly string[];
  /** Takes the engine's credentials out of its own text before it is passed on or logged. */
  scrub(text: string): string;
  /** It holds a token whose header can be sent the other way (Bearer ↔ x-api-key). */
  canFlipAuth: boolean;
}

interface LoadWaiter { modelId: string; resolve(r: LoadResult): void; reject(e: Error): void }
interface EngineWaiter { skip: ReadonlySet<number>; resolve(e: ReadyEngine): void; reject(e: Error): void }

export class ReadyWaiters {
  readonly #loads = new Set<LoadWaiter>();
  readonly #engines = new Set<EngineWaiter>();

  forLoad(modelId: string): Promise<LoadResult> {
    const p = new Promise<LoadResult>((resolve, reject) => this.#loads.add({ modelId, resolve, reject }));
    p.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
    return p;
  }

  /** The next ready engine outside `skip` (engine runs or upstream spells the caller just saw
   *  fail). Leaves the wait (and this set) when `signal` aborts: a request given up holds nothing. */
  forEngine(skip: ReadonlySet<number>, signal?: AbortSignal): Promise<ReadyEngine> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason as Error); return; }
      const leave = () => { this.#engines.delete(w); signal?.removeEventListener('abort', onAbort); };
      const onAbort = () => { leave(); reject(signal!.reason as Error); };
      const w: EngineWaiter = {
        skip,
        resolve: (e) => { leave(); resolve(e); },
        reject: (e) => { leave(); reject(e); },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#engines.add(w);
    });
  }

  /** A load of another model replaces loads of this one; endpoint requests simply wait on. */
  cancelLoadsExcept(modelId: string, err: Error): void {
    for (const w of this.#loads) if (w.modelId !== modelId) { this.#loads.delete(w); w.reject(err); }
  }

  ready(load: LoadResult, engine: ReadyEngine): void {
    for (const w of this.#loads) if (w.modelId === engine.model) { this.#loads.delete(w); w.resolve(load); }
    for (const w of this.#engines) if (!w.skip.has(engine.gen)) { this.#engines.delete(w); w.resolve(engine); }
  }

  /** Every load waiting resolves (a remote engine serves whatever model it discovered). */
  resolveLoads(load: LoadResult): void {
    for (const w of this.#loads) w.resolve(load);
    this.#loads.clear();
  }

  /** Loads hear `err`; endpoint requests wait on. */
  rejectLoads(err: Error): void {
    for (const w of this.#loads) w.reject(err);
    this.#loads.clear();
  }

  rejectAll(loadErr: Error, engineErr: Error = loadErr): void {
    for (const w of this.#loads) w.reject(loadErr);
    this.#loads.clear();
    for (const w of this.#engines) w.reject(engineErr);
    this.#engines.clear();
  }
}
