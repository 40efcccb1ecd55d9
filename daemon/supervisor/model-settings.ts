// What the daemon keeps per model across restarts: the context window decided for it (an OOM
// shrink holds until a person raises it) and which model to load again at start.
import type { Logger } from 'pino';
import { invalidParams } from '../errors.js';
import type { EngineKindName } from '../protocol/protocol.js';
import { writeJsonAtomic, type PersistedState } from '../state-store.js';

export class ModelSettings {
  constructor(
    private readonly state: PersistedState,
    private readonly opts: { path: string; defaultContextWindow: number; contextFloor: number; configuredEngine: EngineKindName; log: Logger },
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
    const configured = this.opts.configuredEngine;
    const s = this.state;
    if (s.lastModel === modelId && s.lastEngine === engine && s.lastEngineBin === engineBin && s.lastConfiguredEngine === configured) return;
    s.lastModel = modelId;
    s.lastEngine = engine;
    s.lastEngineBin = engineBin;
    s.lastConfiguredEngine = configured;
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

/** What the daemon loads again at start: the last model on the engine it ran on, unless the
 *  configured engine changed since (then the configured one, with its own lookup). Pure. */
export function autoloadTarget(p: PersistedState, configured: EngineKindName): { model: string; engine: EngineKindName; engineBin?: string } | null {
  if (!p.lastModel) return null;
  const kept = p.lastEngine !== null && p.lastConfiguredEngine === configured;
  if (!kept) return { model: p.lastModel, engine: configured };
  return { model: p.lastModel, engine: p.lastEngine!, ...(p.lastEngineBin ? { engineBin: p.lastEngineBin } : {}) };
}
