// The engine's memory as it reports it (vllm-mlx: /v1/status metal.*), read in the background so
// that `status` never waits on the engine. The engine kind knows how to read it.
import type { EngineMemory } from '../engine/kind.js';

export class MemoryPoll {
  latest: EngineMemory | null = null;
  /** The first reading (or its failure): ready is announced after it, so status has memory at once. */
  readonly first: Promise<void>;
  #timer: NodeJS.Timeout;

  constructor(read: () => Promise<EngineMemory | null>, intervalMs: number) {
    const poll = async () => {
      const m = await read().catch(() => null);
      if (m) this.latest = m;
    };
    this.first = poll();
    this.#timer = setInterval(() => void poll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
