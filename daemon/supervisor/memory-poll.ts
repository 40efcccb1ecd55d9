// Metal memory as the engine reports it (/v1/status metal.*), read in the background so that
// `status` never waits on the engine.
import { probeJson } from '../engine/engine-process.js';
import { memoryFromStatus, STATUS_PATH, type EngineMemory } from '../engine/vllm-mlx.js';

export class MemoryPoll {
  latest: EngineMemory | null = null;
  #timer: NodeJS.Timeout;

  constructor(baseUrl: string, intervalMs: number) {
    const read = async () => {
      const m = memoryFromStatus(await probeJson(baseUrl + STATUS_PATH));
      if (m) this.latest = m;
    };
    void read();
    this.#timer = setInterval(() => void read(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
