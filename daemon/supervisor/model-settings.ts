// What the daemon keeps per model across restarts: the context window decided for it (an OOM
// shrink holds until a person raises it) and which model to load again at start.
import type { Logger } from 'pino';
import { MAX_CONTEXT_WINDOW } from '../config.js';
import { invalidParams } from '../errors.js';
import type { EngineKindName } from '../protocol/protocol.js';
import { writeJsonAtomic, type PersistedState } from '../state-store.js';

export class ModelSettings {
  constructor(
    private readonly state: PersistedState,
    private readonly opts: { path: string; defaultContextWindow: number; contextFloor: number; configuredEngine: EngineKindName; log: Logger },
  ) {
    // state.json is a file a person (or an older daemon with a lower floor) may have written: a
    // window outside what setContext accepts is dropped, and the model gets its default again.
    for (const [model, n] of Object.entries(state.contexts)) {
      if (this.#inRange(n)) continue;
      delete state.contexts[model];
      opts.log.warn({ model, contextWindow: n, floor: opts.contextFloor, max: MAX_CONTEXT_WINDOW, path: opts.path }, 'ignoring a stored context window out of range; using the default');
    }
  }

  #inRange(n: unknown): n is number {
    return typeof n === 'number' && Number.isInteger(n) && n >= this.opts.contextFloor && n <= MAX_CONTEXT_WINDOW;
  }

  contextWindowFor(modelId: string | null): number {
    return (modelId && this.state.contexts[modelId]) || this.opts.defaultContextWindow;
  }

  /** The default window when the model's is below it (see StatusResult), else null. */
  shrunkFrom(modelId: string | null): number | null {
    return modelId && this.contextWindowFor(modelId) < this.opts.defaultContextWindow ? this.opts.defaultContextWindow : null;
  }

  /** Throws invalid-params for a window below the floor (Claude Code's own prompt would not fit). */
  validContext(n: unknown): number {
    if (!this.#inRange(n)) throw invalidParams(`contextWindow must be an integer between ${this.opts.contextFloor} and ${MAX_CONTEXT_WINDOW}`);
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
