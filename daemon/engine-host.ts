// The one engine the daemon serves, whichever side it is on: a local kind the supervisor runs
// (vllm-mlx, llama-server) or the remote engine that watches servers it does not own. The RPC
// methods, the endpoint and the attach file talk to this; a load names the side, and the other
// side is let go first, so two engines never serve at once.
import type { Config } from './config.js';
import { isLocalKind } from './engine/kinds.js';
import { DaemonError, invalidParams } from './errors.js';
import { prepareLoad } from './remote/remote-files.js';
import type { EngineKindName, EngineState, LoadResult, StatusResult } from './protocol/protocol.js';
import type { RemoteEngine } from './remote/remote-engine.js';
import type { LoadOptions as LocalLoadOptions, ReadyEngine, Supervisor } from './supervisor/supervisor.js';

export interface LoadOptions extends Omit<LocalLoadOptions, 'engine'> { engine?: EngineKindName }

export class EngineHost {
  #remoteActive: boolean;
  /** Switches run one at a time, each deciding after the last one's awaits (never from a side
   *  read before): two engines never serve at once. The wait for readiness is not in it. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly local: Supervisor, readonly remote: RemoteEngine, private readonly config: Config) {
    this.#remoteActive = config.engine === 'remote';
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The kind loaded, or the next load's. */
  get kindName(): EngineKindName {
    return this.#remoteActive ? 'remote' : this.local.kind.name;
  }

  /** Requests that reach the engine at once: 1 for a local engine (one Mac, one prompt in its
   *  memory at a time, seed #7), the configured number for a cluster. */
  concurrency(): number {
    return this.#remoteActive ? this.remote.concurrency : this.config.endpointConcurrency;
  }

  load(model: string, opts: LoadOptions = {}): Promise<LoadResult> {
    return this.#serial(async (): Promise<{ wait: Promise<LoadResult> }> => {
      const target = opts.engine ?? this.kindName;
      if (target === 'remote') {
        // Everything checked before the local engine is let go: a typo in config.json or a token
        // file others can read leaves the warm local model serving.
        let prepared;
        try { prepared = prepareLoad(this.config.remote, model, opts.contextWindow); } catch (err) {
          if (this.#remoteActive && err instanceof DaemonError) this.remote.failLoad(err);
          throw err;
        }
        if (!this.#remoteActive) await this.local.unload('cclocald switched to the remote engine');
        this.#remoteActive = true;
        return { wait: this.remote.load(prepared) };
      }
      if (!isLocalKind(target)) throw invalidParams(`unknown engine ${String(target)}`);
      if (!model) throw invalidParams(`load needs {"model": "<catalog name or org/name>"} for ${target}`);
      if (this.#remoteActive && this.remote.loaded) await this.remote.unload();
      this.#remoteActive = false;
      // Called here, so the supervisor queues it in this order; its readiness is waited for outside.
      return { wait: this.local.load(model, { ...opts, engine: target }) };
    }).then(({ wait }) => wait);
  }

  unload(): Promise<void> {
    return this.#serial(() => (this.#remoteActive ? this.remote.unload() : this.local.unload()));
  }

  setContext(contextWindow: number): Promise<{ model: string | null; contextWindow: number }> {
    return this.#serial(async () => (this.#remoteActive ? this.remote.setContext(contextWindow) : this.local.setContext(contextWindow)));
  }

  awaitReady(skip?: ReadonlySet<number>, signal?: AbortSignal): Promise<ReadyEngine> {
    return this.#remoteActive ? this.remote.awaitReady(skip, signal) : this.local.awaitReady(skip, signal);
  }

  /** A ready engine outside `skip` now, or null; a local engine has no second one to offer. */
  tryReady(skip: ReadonlySet<number>): ReadyEngine | null {
    return this.#remoteActive ? this.remote.tryReady(skip) : null;
  }

  /** Run numbers are shared, so a report reaches the side whose run it was (the other ignores it). */
  reportWedged(gen: number, detail: string): Promise<void> {
    this.remote.reportWedged(gen, detail);
    return this.local.reportWedged(gen, detail);
  }

  /** A request could not reach upstream spell `gen`. A local engine's failures are seen by its exit. */
  reportFailed(gen: number, why: string): void {
    this.remote.reportFailed(gen, why);
  }

  /** Remote upstream spell `gen` refused the token in its header: the other header from now on. */
  flipAuth(gen: number): boolean {
    return this.remote.flipAuth(gen);
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.remote.shutdown(), this.local.shutdown()]);
  }

  view(): { state: EngineState; model: string | null; contextWindow: number } {
    return this.#remoteActive ? this.remote.view() : this.local.view();
  }

  status(): StatusResult['engine'] {
    return this.#remoteActive ? this.remote.status() : this.local.status();
  }
}
