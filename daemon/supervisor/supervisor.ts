// Owns the one engine state and is its only writer. Commands (load, unload, setContext, the
// retry after a crash, the reaction to an exit) run one at a time through #serial, and every
// decision is made inside it, after the last await, never from a state read earlier.
//
//   load ─→ [stop old] ─→ spawn ─→ downloading/loading ─healthy→ ready
//   exit | stall | wedge ─→ crashed ─policy→ backoff ─timer→ spawn …   or ─→ failed
//   an out-of-memory reason (metal-oom, cuda-oom, alloc-oom) ─→ the model's context window is halved before the restart
//   a start that throws (log folder gone or unwritable, disk full, no fds, no record) ─→ failed, with why
//
// The run itself is the identity: a report about a run that is no longer #running is ignored.
// Every run ends through #endRun, which stops its process (if alive), its timers and its record.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { isProcessAlive } from '../../common/process-alive.js';
import type { ResolvedModel } from '../../common/catalog.js';
import type { Config } from '../config.js';
import { cancelled, DaemonError, engineDiskFull, engineFailed, engineMissing, engineStuck, invalidParams, modelFileMissing, notThisEngine, nothingLoaded, shuttingDown, unknownModel } from '../errors.js';
import type { EngineExit, EngineHandle, EngineSpec } from '../engine/engine-process.js';
import { diskFullIn } from '../engine/engine-text.js';
import { HubTotal, hubSource } from '../engine/hub-size.js';
import type { EngineKind } from '../engine/kind.js';
import { defaultEngineName, isLocalKind } from '../engine/kinds.js';
import type { Notifier } from '../notify.js';
import { diskIsFull } from '../platform/disk-space.js';
import { OUT_OF_MEMORY_REASONS, type CrashReason, type DaemonEvent, type EngineError, type LocalKindName, type EngineState, type LoadResult, type StatusResult } from '../protocol/protocol.js';
import { removeFile, type PersistedState } from '../state-store.js';
import { classifyExit, tailLines } from './crash-reason.js';
import { EngineRun } from './engine-run.js';
import { lookupEngine, realPlanDeps, type PlanDeps } from './launch-plan.js';
import { ModelSettings } from './model-settings.js';
import { ReadyWaiters, type ReadyEngine } from './ready-waiters.js';
import { CrashHistory } from './crash-history.js';
import { shrinkContext } from './restart-policy.js';
import { startRun } from './run-start.js';
import { loopbackTransport } from '../endpoint/transport.js';
import { type StartProgress } from './start-watch.js';
import { canTransition, hasProcess, IllegalTransitionError, transition, type EngineEventType } from './states.js';

type EventBody = DaemonEvent extends infer E ? (E extends DaemonEvent ? Omit<E, 'at'> : never) : never;

export interface SupervisorDeps {
  config: Config;
  log: Logger;
  emit(event: EventBody): void;
  notifier: Notifier;
  persisted: PersistedState;
  now?: () => number;
  /** The engine kinds by name (engine/kinds.ts; a unit test passes a fake kind). */
  engines(name: LocalKindName): EngineKind;
  /** Starts an engine process (engine-process.ts; a unit test passes fake processes). */
  spawn?(spec: EngineSpec): EngineHandle;
  /** How a launch reads the engine's capabilities (a unit test answers without a --help run). */
  plan?: PlanDeps;
  /** The start stamp of a process we spawned, for engine.json (ps.ts; a unit test passes one). */
  startStamp?(pid: number): Promise<string | null>;
  /** Numbers engine runs; the daemon shares one counter between the supervisor and the remote engine. */
  nextGen?(): number;
  /** A run ended: on purpose (why says what happened) or by a crash; for the endpoint's words. */
  onRunEnded?(gen: number, end: RunEnd): void;
}

/** How a run ended, as a client mid-answer is told. */
export interface RunEnd { crashed: boolean; why: string }

export interface LoadOptions {
  contextWindow?: number;
  /** The engine kind to run the model on; else the one running now. */
  engine?: LocalKindName;
  /** The executable a client named (its CCLOCAL_ENGINE_BIN); else the daemon's own lookup. */
  engineBin?: string;
}

export type { Failover, ReadyEngine } from './ready-waiters.js';

const NO_SKIP: ReadonlySet<number> = new Set();

export class Supervisor {
  #state: EngineState = 'stopped';
  #model: ResolvedModel | null = null;
  /** The kind the model runs on, or the next load will (the configured kind at first). */
  #kind: EngineKind;
  /** The executable a client named for #kind; null: the daemon's own lookup. */
  #engineBin: string | null = null;
  #running: EngineRun | null = null;
  /** Numbers the runs (ReadyEngine.gen); nothing else. Shared with the remote engine (deps.nextGen),
   *  so the endpoint never mistakes one's run for the other's. */
  readonly #nextGen: () => number;
  /** The pid of an engine a stop could not end, while it lives. */
  #stuck: number | null = null;
  readonly #crashes = new CrashHistory();
  #error: EngineError | null = null;
  readonly #waiters = new ReadyWaiters();
  /** Loads accepted but not yet through the queue: "stopped" does not mean "nothing coming". */
  #pendingLoads = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #d: SupervisorDeps;
  readonly #now: () => number;
  readonly #settings: ModelSettings;

  constructor(deps: SupervisorDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    let runs = 0;
    this.#nextGen = deps.nextGen ?? (() => ++runs);
    this.#kind = deps.engines(isLocalKind(deps.config.engine) ? deps.config.engine : defaultEngineName(process.platform, process.arch));
    this.#settings = new ModelSettings(deps.persisted, { path: deps.config.paths.state, defaultContextWindow: deps.config.defaultContextWindow, contextFloor: deps.config.contextFloor, configuredEngine: deps.config.engine, log: deps.log });
  }

  get #cfg(): Config { return this.#d.config; }

  /** Runs commands one at a time; a failure of one never blocks the next. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #apply(event: EngineEventType): void {
    const from = this.#state;
    let to: EngineState;
    try {
      to = transition(from, event);
    } catch (err) {
      // A bug, not a user error: keep the last valid state and say so loudly.
      if (err instanceof IllegalTransitionError) { this.#d.log.error({ from, event }, err.message); return; }
      throw err;
    }
    this.#state = to;
    if (to !== from) {
      this.#d.log.info({ from, to, event, model: this.#model?.id ?? null }, 'engine state');
      this.#d.emit({ type: 'state', from, to, model: this.#model?.id ?? null });
    }
  }

  /** The engine kind of the loaded model, or of the next load. */
  get kind(): EngineKind {
    return this.#kind;
  }

  contextWindowFor(modelId: string | null): number {
    return this.#settings.contextWindowFor(modelId);
  }

  /** Loads (or swaps to) a model; resolves when it is ready, rejects with the reason it is not.
   *  A load that cannot start (unknown model, missing engine) is refused before the running
   *  engine is touched: the client hears why, and what was serving goes on serving. */
  load(nameOrId: string, opts: LoadOptions = {}): Promise<LoadResult> {
    let ctx: number | undefined;
    try { ctx = opts.contextWindow === undefined ? undefined : this.#settings.validContext(opts.contextWindow); } catch (err) { return Promise.reject(err); }
    // The decision and the spawn run in the queue; the wait for readiness does not, so an
    // unload or another load can still get through while a multi-GB model loads.
    this.#pendingLoads++;
    return this.#serial(async (): Promise<{ wait: Promise<LoadResult> }> => {
      this.#pendingLoads--;
      if (this.#closed) throw cancelled('cclocald is shutting down');
      const kind = opts.engine ? this.#d.engines(opts.engine) : this.#kind;
      const model = kind.resolveModel(nameOrId);
      if (!model) throw unknownModel(nameOrId, kind.unknownModelHint(nameOrId), kind.name);
      if ('file' in model.source && !existsSync(model.source.file)) throw modelFileMissing(model.source.file);
      // A load that names no executable keeps the one this kind runs with.
      const bin = opts.engineBin ?? (kind === this.#kind ? this.#engineBin : null);
      const lookup = lookupEngine(this.#cfg, kind, bin);
      if (!lookup.found) throw engineMissing(kind.name, lookup.searched, lookup.hint);
      const caps = await (this.#d.plan ?? realPlanDeps).capabilities(kind, lookup.bin, kind.engineEnv(this.#cfg.engineBaseEnv));
      if (caps.foreign) throw notThisEngine(kind.name, lookup.bin);
      if (ctx !== undefined) this.#settings.setContext(model.id, ctx);
      this.#settings.setLastModel(model.id, kind.name, bin);
      // The same executable, however it was named (a client's CCLOCAL_ENGINE_BIN or the lookup):
      // the running one's, or (in a backoff, with none running) the one the restart would use.
      const current = this.#running?.where.bin ?? lookupEngine(this.#cfg, this.#kind, this.#engineBin);
      const sameBin = (typeof current === 'string' ? current : current.found ? current.bin : null) === lookup.bin;
      const sameRun = this.#model?.id === model.id && this.#kind === kind && sameBin && !this.#windowMoved();
      if (sameRun && this.#state === 'ready') return { wait: Promise.resolve(this.#loadResult()) };
      const wait = this.#waiters.forLoad(model.id);
      if (sameRun && (this.#state === 'downloading' || this.#state === 'loading' || this.#state === 'backoff')) return { wait };
      // A different model, engine or binary, or a failed/stopped one: a fresh start with a fresh crash history.
      this.#waiters.cancelLoadsExcept(model.id, cancelled(`replaced by a load of ${model.id}`));
      await this.#stopEngine(`cclocald switched to ${model.id}`);
      this.#model = model;
      this.#kind = kind;
      this.#engineBin = bin;
      this.#crashes.reset();
      await this.#spawn();
      return { wait };
    }).then(({ wait }) => wait);
  }

  /** `why`: what a client mid-answer hears. */
  unload(why = 'the model was unloaded (cclocald unload)'): Promise<void> {
    return this.#serial(async () => {
      await this.#stopEngine(why);
      if (canTransition(this.#state, 'stopped')) this.#apply('stopped');
      this.#model = null;
      this.#error = null;
      this.#waiters.rejectAll(cancelled('the model was unloaded'), nothingLoaded());
      this.#settings.setLastModel(null);
    });
  }

  /** The budget the endpoint enforces for the loaded model; held until changed again. An engine
   *  that sizes its memory by the window (llama-server) is restarted with the new one. */
  setContext(contextWindow: number): Promise<{ model: string | null; contextWindow: number }> {
    const ctx = this.#settings.validContext(contextWindow);
    return this.#serial(async () => {
      if (!this.#model) throw invalidParams('no model is loaded; pass contextWindow to load instead');
      this.#settings.setContext(this.#model.id, ctx);
      this.#d.log.info({ model: this.#model.id, contextWindow: ctx, trigger: 'rpc' }, 'context window set');
      this.#d.emit({ type: 'contextSet', model: this.#model.id, contextWindow: ctx });
      if (this.#windowMoved() && hasProcess(this.#state)) {
        this.#d.log.info({ model: this.#model.id, kind: this.#kind.name }, 'restarting the engine with the new window');
        await this.#stopEngine(`cclocald is restarting it with a ${ctx}-token window`);
        await this.#spawn();
      }
      return { model: this.#model.id, contextWindow: ctx };
    });
  }

  /** The running engine was started with another window than the one now decided, and its kind
   *  sizes its memory by it. */
  #windowMoved(): boolean {
    const r = this.#running;
    return !!r && r.kind.windowAtStart && r.where.contextWindow !== this.contextWindowFor(r.model.id);
  }

  /** The endpoint saw engine run `gen` stop generating while it lives on: restart it as a crash.
   *  A late report about an engine already replaced is ignored. */
  reportWedged(gen: number, detail: string): Promise<void> {
    return this.#serial(async () => {
      const r = this.#running;
      if (!r || r.gen !== gen || !canTransition(this.#state, 'wedged')) return;
      this.#apply('wedged');
      const exit = await this.#endRun(r, null);
      this.#crashEnded(r, 'wedged', this.#handleCrash('wedged', { ...exit, logTail: `${detail}\n${exit.logTail}` }));
    });
  }

  /** Takes over an engine a previous daemon left running and healthy. */
  adopt(handle: EngineHandle, kind: EngineKind, model: ResolvedModel, port: number, bin: string, auth: Record<string, string>): Promise<void> {
    return this.#serial(async () => {
      this.#model = model;
      this.#kind = kind;
      this.#engineBin = this.#d.persisted.lastEngineBin;
      // Its window is not recorded anywhere: take it to be the one decided for the model.
      const run = new EngineRun(this.#nextGen(), kind, handle, model, { url: `http://127.0.0.1:${port}`, bin, port, contextWindow: this.contextWindowFor(model.id), auth });
      this.#running = run;
      this.#apply('started');
      this.#apply('healthPassed');
      this.#watchExit(run);
      await run.startMemoryPoll(this.#cfg.memoryPollMs);
    });
  }

  /** Stops the engine for good: the daemon is going away. The last model stays remembered. */
  shutdown(): Promise<void> {
    this.#closed = true;
    return this.#serial(async () => {
      await this.#stopEngine('cclocald is stopping');
      if (canTransition(this.#state, 'stopped')) this.#apply('stopped');
      this.#waiters.rejectAll(cancelled('cclocald is shutting down'), shuttingDown());
    });
  }

  /**
   * For the endpoint: the ready engine, waiting through downloads, loads, swaps and restarts.
   * `skip` holds engine runs the caller just saw die (their exit may not be processed yet).
   * Rejects at once when nothing is loaded or the engine has failed, and when `signal` aborts.
   */
  awaitReady(skip: ReadonlySet<number> = NO_SKIP, signal?: AbortSignal): Promise<ReadyEngine> {
    const r = this.#running;
    if (this.#closed) return Promise.reject(shuttingDown());
    if (this.#state === 'ready' && r && !skip.has(r.gen)) return Promise.resolve(this.#readyEngine(r));
    if (this.#pendingLoads === 0) {
      if (this.#state === 'stopped') return Promise.reject(nothingLoaded());
      if (this.#state === 'failed') return Promise.reject(engineFailed(this.#error?.message ?? 'the engine failed', this.#error?.hint || undefined));
    }
    return this.#waiters.forEngine(skip, signal);
  }

  #readyEngine(r: EngineRun): ReadyEngine {
    return {
      gen: r.gen, url: r.url, model: r.model.id, contextWindow: this.contextWindowFor(r.model.id), contextShrunkFrom: this.#settings.shrunkFrom(r.model.id),
      streamsPromptTokens: r.kind.streamsPromptTokens, auth: r.where.auth, overflow: r.kind.overflow,
      transport: loopbackTransport, label: 'the local engine', failover: null, forwardHeaders: [], scrub: (text) => text, canFlipAuth: false,
    };
  }

  #loadResult(): LoadResult {
    const id = this.#model?.id ?? '';
    return { model: id, contextWindow: this.contextWindowFor(id), url: this.#running?.url ?? '', kind: this.#kind.name };
  }

  #cancelRetry(): void {
    if (this.#retryTimer) { clearTimeout(this.#retryTimer); this.#retryTimer = null; }
  }

  /** Stops whatever runs (or waits to be retried), on purpose: `why` is what a client mid-answer hears. */
  async #stopEngine(why: string): Promise<void> {
    this.#cancelRetry();
    const r = this.#running;
    if (!r) return;
    const exit = await this.#endRun(r, { crashed: false, why });
    this.#d.log.info({ pid: r.handle.pid, exitCode: exit.exitCode, signal: exit.signal }, 'engine stopped');
  }

  /** The one path that ends a run: from here no report of it counts; its process is stopped
   *  (at once done when it has exited), its timers end and its record goes. */
  async #endRun(r: EngineRun, end: RunEnd | null): Promise<EngineExit> {
    if (this.#running === r) this.#running = null;
    r.quiet();
    this.#cancelRetry();
    if (end) this.#d.onRunEnded?.(r.gen, end);
    const exit = await r.handle.stop(this.#cfg.stopGraceMs);
    if (exit.stuck) {
      this.#stuck = r.handle.pid;
      this.#d.log.error({ pid: r.handle.pid }, 'the engine is still alive after SIGKILL; its record stays, and no engine starts beside it');
    } else if (this.#running === null) {
      removeFile(this.#cfg.paths.engineRecord);
    }
    return exit;
  }

  #fail(error: DaemonError): void {
    this.#error = { reason: error.reason, message: error.message, ...(error.data.hint ? { hint: error.data.hint } : {}) };
    this.#d.log.error({ reason: error.reason, model: this.#model?.id }, error.message);
    this.#apply('startFailed');
    this.#waiters.rejectAll(error);
  }

  /** Starts the engine for #model. Runs inside #serial. Whatever fails on the way (the plan, the
   *  log, the spawn, the record) ends in a true state: failed, with the reason, and no process. */
  async #spawn(): Promise<void> {
    const model = this.#model;
    if (!model) return;
    this.#error = null;
    const cfg = this.#cfg;
    const kind = this.#kind;
    const contextWindow = this.contextWindowFor(model.id);
    // A process an earlier stop could not end (still alive after SIGKILL) keeps its record: never a
    // second engine beside it.
    if (this.#stuck !== null && isProcessAlive(this.#stuck)) return this.#fail(engineStuck(this.#stuck));
    this.#stuck = null;
    const started = await startRun({
      cfg, kind, model, contextWindow, engineBin: this.#engineBin, gen: this.#nextGen(), now: this.#now,
      spawn: this.#d.spawn, plan: this.#d.plan, startStamp: this.#d.startStamp,
    }, (run, cached) => {
      this.#running = run;
      this.#apply(cached ? 'started' : 'downloadStarted');
    });
    // No fds or processes left for a moment: a crash for the restart policy, not the end.
    if (started.kind === 'refused') return this.#spawnCrashed(model, started.exit);
    if (started.kind === 'failed') {
      if (started.run) await this.#endRun(started.run, { crashed: true, why: 'it could not be started' });
      return this.#fail(started.error);
    }
    const { run, plan } = started;
    const { cached } = plan.downloads;
    this.#d.log.info({ kind: kind.name, model: model.id, pid: run.handle.pid, port: plan.port, bin: plan.bin, argv: plan.argv, cached, trigger: 'engine' }, 'engine spawned');
    // The download's size, asked of the hub the engine downloads from (its own environment's
    // HF_ENDPOINT) once the folder first grows; the progress events carry it once known.
    const total = plan.downloads.dir === null ? undefined : new HubTotal({
      model, kind: kind.name, source: hubSource(kind.engineEnv(cfg.engineBaseEnv), kind.name),
      onSettled: (t, why) => this.#d.log.info({ model: model.id, totalBytes: t?.bytes ?? null, estimate: t?.estimate ?? false, ...(why ? { why } : {}) },
        t && !t.estimate ? 'download size from the hub' : 'download size not from the hub'),
    });
    run.watchStart({
      cacheDir: plan.downloads.dir, isWriting: plan.downloads.isWriting, initialPhase: cached ? 'loading' : 'downloading', intervalMs: cfg.progressIntervalMs, stallMs: cfg.stallTimeoutMs, quietMs: cfg.downloadQuietMs, now: this.#now,
      total,
      onProgress: (p) => this.#onProgress(run, p),
      onStall: () => void this.#serial(() => this.#onStall(run)),
    });
    void run.handle.healthy.then(() => this.#serial(() => this.#onHealthy(run)));
    this.#watchExit(run);
  }

  /** A spawn the system refused for a moment (EMFILE, EAGAIN): through `crashed`, so the restart
   *  policy decides, as for an engine that died at once. */
  #spawnCrashed(model: ResolvedModel, exit: EngineExit): void {
    this.#d.log.warn({ model: model.id, err: exit.error?.message }, 'the engine could not be spawned');
    this.#apply('started');
    this.#apply('exited');
    this.#handleCrash('startup-error', { ...exit, logTail: `[cclocald] could not spawn the engine: ${exit.error?.message ?? exit.logTail}` });
  }

  #watchExit(r: EngineRun): void {
    void r.handle.exited.then((exit) => this.#serial(async () => {
      if (this.#running !== r) return; // stopped on purpose, or already handled as a stall/wedge
      const wasReady = this.#state === 'ready';
      const reason = classifyExit({ exitCode: exit.exitCode, signal: exit.signal, logTail: exit.logTail, wasReady }, r.kind.outOfMemory);
      this.#apply('exited');
      await this.#endRun(r, null);
      this.#crashEnded(r, reason, this.#handleCrash(reason, exit));
    }));
  }

  #onProgress(r: EngineRun, p: StartProgress): void {
    if (this.#running !== r || !this.#model) return;
    if (p.phase === 'downloading' && canTransition(this.#state, 'downloadProgressed')) this.#apply('downloadProgressed');
    if (p.phase === 'loading' && canTransition(this.#state, 'downloadFinished')) this.#apply('downloadFinished');
    this.#d.emit({ type: 'progress', model: this.#model.id, phase: p.phase, bytes: p.bytes, rateBps: p.rateBps, loadingS: p.loadingS, totalBytes: p.totalBytes, totalIsEstimate: p.totalIsEstimate });
  }

  async #onHealthy(r: EngineRun): Promise<void> {
    if (this.#running !== r || !canTransition(this.#state, 'healthPassed')) return;
    const asked = this.contextWindowFor(r.model.id);
    const [held] = await Promise.all([r.kind.checkWindow(r.url, asked, r.where.auth).catch(() => null), r.startMemoryPoll(this.#cfg.memoryPollMs)]);
    if (this.#running !== r) return; // it died or was stopped while it was asked
    if (held !== null && held < asked) {
      // The engine holds less than it was asked for: enforce what it holds, and say so.
      this.#settings.setContext(r.model.id, held);
      this.#d.log.warn({ model: r.model.id, asked, held }, 'the engine holds a smaller context window than asked; enforcing its own');
      this.#d.emit({ type: 'contextSet', model: r.model.id, contextWindow: held });
    }
    this.#apply('healthPassed');
    this.#d.log.info({ model: r.model.id, pid: r.handle.pid, url: r.url }, 'engine ready');
    this.#waiters.ready(this.#loadResult(), this.#readyEngine(r));
  }

  async #onStall(r: EngineRun): Promise<void> {
    if (this.#running !== r || !canTransition(this.#state, 'stalled')) return;
    this.#apply('stalled');
    const exit = await this.#endRun(r, null);
    const s = Math.round(this.#cfg.stallTimeoutMs / 1000);
    this.#crashEnded(r, 'startup-timeout', this.#handleCrash('startup-timeout', { ...exit, logTail: `${exit.logTail}\n[cclocald] no download progress and not ready after ${s}s` }));
  }

  /** Tells the endpoint how a crashed run ended, once the policy has decided what comes next. */
  #crashEnded(r: EngineRun, reason: CrashReason, restarting: boolean): void {
    const what = restarting ? 'cclocald is restarting it' : `cclocald gave it up (${this.#error?.message ?? 'see `cclocald status`'})`;
    this.#d.onRunEnded?.(r.gen, { crashed: true, why: `it crashed (${reason}); ${what}` });
  }

  /** In state crashed: record, notify, shrink after an OOM, then back off (true) or give up. */
  #handleCrash(reason: CrashReason, exit: EngineExit): boolean {
    const model = this.#model;
    if (!model) return false;
    const now = this.#now();
    const detail = tailLines(exit.logTail);
    this.#crashes.record(reason, now, { detail, exitCode: exit.exitCode, signal: exit.signal });
    this.#d.log.warn({ reason, exitCode: exit.exitCode, signal: exit.signal, model: model.id, trigger: 'engine' }, 'engine crashed');
    this.#d.emit({ type: 'crash', model: model.id, reason, exitCode: exit.exitCode, signal: exit.signal, stderrTail: detail });
    let note = '';
    if (OUT_OF_MEMORY_REASONS.has(reason)) {
      const from = this.contextWindowFor(model.id);
      const to = shrinkContext(from, this.#cfg.contextFloor);
      if (to < from) {
        this.#settings.setContext(model.id, to);
        this.#d.log.warn({ model: model.id, from, to }, 'context window shrunk after an out-of-memory crash');
        this.#d.emit({ type: 'contextShrunk', model: model.id, from, to });
        note = `; context window ${from} → ${to}`;
      } else {
        this.#crashes.oomAtFloor(now);
      }
    }
    // A full disk does not mend itself between retries: say so now, with the fix.
    const silentOnFullDisk = exit.logTail.trim() === '' && diskIsFull(this.#cfg.paths.logsDir);
    if (!OUT_OF_MEMORY_REASONS.has(reason) && (diskFullIn(tailLines(exit.logTail, 8)) || silentOnFullDisk)) return this.#giveUp(model.id, reason, engineDiskFull(model.id));
    const decision = this.#crashes.decide(now, this.#cfg);
    if (decision.action === 'give-up') return this.#giveUp(model.id, reason, engineFailed(`${decision.message} (last crash: ${reason})`, decision.hint));
    this.#d.notifier.notify(`${model.id} crashed (${reason}); restarting${note}`);
    this.#scheduleRetry(model, decision.attempt, decision.delayMs);
    return true;
  }

  /** crashed → failed: the reason a person can act on, told to everyone waiting. */
  #giveUp(modelId: string, reason: CrashReason, error: DaemonError): false {
    this.#apply('gaveUp');
    this.#error = { reason: error.reason, message: error.message, ...(error.data.hint ? { hint: error.data.hint } : {}) };
    this.#d.log.error({ model: modelId, reason }, error.message);
    this.#d.emit({ type: 'failed', model: modelId, message: error.message });
    this.#d.notifier.notify(`${modelId} failed: ${error.message}`);
    this.#waiters.rejectAll(error);
    return false;
  }

  /** crashed → backoff; the timer's own spawn unless something else moved on meanwhile. */
  #scheduleRetry(model: ResolvedModel, attempt: number, delayMs: number): void {
    this.#apply('retryScheduled');
    const timer: NodeJS.Timeout = setTimeout(() => void this.#serial(async () => {
      // Cancelled (a load, an unload, a stop) since it was set: not this timer's turn any more.
      if (this.#retryTimer !== timer || this.#state !== 'backoff' || this.#closed) return;
      this.#retryTimer = null;
      this.#crashes.restarted();
      this.#d.emit({ type: 'restart', model: model.id, attempt, delayMs });
      await this.#spawn();
    }), delayMs);
    this.#retryTimer = timer;
  }

  /** The cheap view the endpoint's /health and /v1/models need. */
  view(): { state: EngineState; model: string | null; contextWindow: number } {
    const model = this.#model?.id ?? null;
    return { state: this.#state, model, contextWindow: this.contextWindowFor(model) };
  }

  status(): StatusResult['engine'] {
    const r = this.#running;
    const lookup = lookupEngine(this.#cfg, this.#kind, this.#engineBin);
    const error = this.#error ?? (lookup.found ? null : { reason: 'engine-missing' as const, message: engineMissing(this.#kind.name, lookup.searched, lookup.hint).message, hint: lookup.hint });
    return {
      kind: this.#kind.name,
      state: this.#state,
      model: this.#model?.id ?? null,
      contextWindow: this.contextWindowFor(this.#model?.id ?? null),
      contextShrunkFrom: this.#settings.shrunkFrom(this.#model?.id ?? null),
      pid: r && hasProcess(this.#state) ? r.handle.pid : null,
      url: r && hasProcess(this.#state) ? r.url : null,
      restarts: this.#crashes.restarts,
      lastCrash: this.#crashes.last,
      error,
      bin: lookup.found ? lookup.bin : null,
      progress: r?.progress ? { bytes: r.progress.bytes, rateBps: r.progress.rateBps, loadingS: r.progress.loadingS, totalBytes: r.progress.totalBytes, totalIsEstimate: r.progress.totalIsEstimate } : null,
      memory: r && this.#state === 'ready' ? r.memory : null,
    };
  }
}
