// One engine process of the supervisor's, from its start to its exit, with what watches it: the
// start watch (download progress and the stall clock) until it answers its health check, then
// the background read of its memory. It only reports; the supervisor decides what each report
// means, and compares `gen` to ignore reports about a run it has already left behind.
import type { EngineHandle } from '../engine/engine-process.js';
import type { EngineKind, EngineMemory } from '../engine/kind.js';
import type { ResolvedModel } from '../../common/catalog.js';
import { MemoryPoll } from './memory-poll.js';
import { StartWatch, type StartWatchOptions, type StartProgress } from './start-watch.js';

export interface RunWhere {
  url: string;
  bin: string;
  port: number;
  /** The window the engine was started with (it matters to kinds whose memory it sizes). */
  contextWindow: number;
  /** The headers every request to it carries (its key). */
  auth: Record<string, string>;
}

export class EngineRun {
  #watch: StartWatch | null = null;
  #progress: StartProgress | null = null;
  #memory: MemoryPoll | null = null;

  /** `gen` numbers the run for the endpoint. */
  constructor(readonly gen: number, readonly kind: EngineKind, readonly handle: EngineHandle, readonly model: ResolvedModel, readonly where: RunWhere) {}

  get url(): string { return this.where.url; }
  /** The latest download or load progress, while the start is watched. */
  get progress(): StartProgress | null { return this.#progress; }
  get memory(): EngineMemory | null { return this.#memory?.latest ?? null; }

  /** Watches the start: progress and the stall clock, until readiness or quiet(). */
  watchStart(o: StartWatchOptions): void {
    this.#watch = new StartWatch({ ...o, onProgress: (p) => { this.#progress = p; o.onProgress(p); } });
  }

  /** Ready: the start watch ends and the memory poll begins; resolves after its first reading. */
  startMemoryPoll(intervalMs: number): Promise<void> {
    this.#stopWatch();
    this.#memory?.stop();
    this.#memory = new MemoryPoll(() => this.kind.readMemory(this.url), intervalMs);
    return this.#memory.first;
  }

  /** Stops every timer of this run (the process itself is the handle's). */
  quiet(): void {
    this.#stopWatch();
    this.#memory?.stop();
    this.#memory = null;
  }

  #stopWatch(): void {
    this.#watch?.stop();
    this.#watch = null;
    this.#progress = null;
  }
}
