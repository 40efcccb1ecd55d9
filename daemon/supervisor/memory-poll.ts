// Metal memory as the engine reports it (/v1/status metal.*), read in the background so that
// `status` never waits on the engine.
import { probeJson } from '../engine/engine-process.js';
import { memoryFromStatus, STATUS_PATH, type EngineMemory } from '../engine/vllm-mlx.js';

export class MemoryPoll {
  latest: EngineMemory | null = null;
  /** The first reading (or its failure): ready is announced after it, so status has memory at once. */
  readonly first: Promise<void>;
  #timer: NodeJS.Timeout;

  constructor(baseUrl: string, intervalMs: number) {
    const read = async (timeoutMs?: number) => {
      const m = memoryFromStatus(await probeJson(baseUrl + STATUS_PATH, timeoutMs));
      if (m) this.latest = m;
    };
    // An engine that just answered /health answers /v1/status at once; don't hold ready for long.
    this.first = read(1000);
    this.#timer = setInterval(() => void read(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
