// What the daemon keeps per model across restarts: the context window decided for it (an OOM
// shrink holds until a person raises it) and which model to load again at start.
import type { Logger } from 'pino';
import { invalidParams } from '../errors.js';
import type { EngineKindName } from '../protocol/protocol.js';
import { writeJsonAtomic, type PersistedState } from '../state-store.js';

export class ModelSettings {
  constructor(
    private readonly state: PersistedState,
    private readonly opts: { path: string; defaultContextWindow: number; contextFloor: number; log: Logger },
  ) {}

  contextWindowFor(modelId: string | null): number {
    return (modelId && this.state.contexts[modelId]) || this.opts.defaultContextWindow;
  }

  /** Throws invalid-params for a window below the floor (Claude Code's own prompt would not fit). */
  validContext(n: unknown): number {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < this.opts.contextFloor || n > 10_000_000) {
      throw invalidParams(`contextWindow must be an integer between ${this.opts.contextFloor} and 10000000`);
    }
    return n;
  }

  setContext(modelId: string, n: number): void {
    if (this.state.contexts[modelId] === n) return;
    this.state.contexts[modelId] = n;
    this.save();
  }

  /** What to load again when the daemon starts: the model, on which engine, from which binary. */
  setLastModel(modelId: string | null, engine: EngineKindName | null = null, engineBin: string | null = null): void {
    if (this.state.lastModel === modelId && this.state.lastEngine === engine && this.state.lastEngineBin === engineBin) return;
    this.state.lastModel = modelId;
    this.state.lastEngine = engine;
    this.state.lastEngineBin = engineBin;
    this.save();
  }

  private save(): void {
    try {
      writeJsonAtomic(this.opts.path, this.state);
    } catch (err) {
      // A full disk must not take the engine down; the decision still holds in memory.
      this.opts.log.warn({ err: (err as Error).message, path: this.opts.path }, 'could not save daemon state');
    }
  }
}
