// Who is waiting for the engine to become ready: `load` callers (for one model) and endpoint
// requests (for whatever model is ready, but not an engine run they just saw die).
import type { LoadResult } from '../protocol/protocol.js';

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
}

interface LoadWaiter { modelId: string; resolve(r: LoadResult): void; reject(e: Error): void }
interface EngineWaiter { notGen: number | undefined; resolve(e: ReadyEngine): void; reject(e: Error): void }

export class ReadyWaiters {
  readonly #loads = new Set<LoadWaiter>();
  readonly #engines = new Set<EngineWaiter>();

  forLoad(modelId: string): Promise<LoadResult> {
    const p = new Promise<LoadResult>((resolve, reject) => this.#loads.add({ modelId, resolve, reject }));
    p.catch(() => undefined); // handled by whoever awaits it; never an unhandled rejection
    return p;
  }

  /** Leaves the wait (and this set) when `signal` aborts: a request given up holds nothing. */
  forEngine(notGen: number | undefined, signal?: AbortSignal): Promise<ReadyEngine> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason as Error); return; }
      const leave = () => { this.#engines.delete(w); signal?.removeEventListener('abort', onAbort); };
      const onAbort = () => { leave(); reject(signal!.reason as Error); };
      const w: EngineWaiter = {
        notGen,
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
    for (const w of this.#engines) if (w.notGen !== engine.gen) { this.#engines.delete(w); w.resolve(engine); }
  }

  rejectAll(loadErr: Error, engineErr: Error = loadErr): void {
    for (const w of this.#loads) w.reject(loadErr);
    this.#loads.clear();
    for (const w of this.#engines) w.reject(engineErr);
    this.#engines.clear();
  }
}
