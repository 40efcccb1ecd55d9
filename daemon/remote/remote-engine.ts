// The `remote` engine kind: servers cclocald does not run (a team's vLLM or SGLang cluster, a
// llama-server on another box, a LiteLLM proxy), watched instead of supervised. There is no
// process, no pid and no out-of-memory shrink; what a remote can do maps onto the same states:
//
//   load ─→ loading (first probes) ─any upstream healthy→ ready ─every upstream failing→ backoff
//   backoff ─an upstream answers again→ ready        a token or CA file that cannot be used ─→ failed
//
// Each upstream is probed on its own timer (probeDelay: an interval while healthy, a growing
// backoff while not). A request that cannot reach its upstream reports it here, which marks it
// unhealthy at once and probes it again; requests then go to the next healthy one.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { MAX_CONTEXT_WINDOW } from '../context-bounds.js';
import { cancelled, DaemonError, engineFailed, invalidParams, nothingLoaded, shuttingDown, unknownModel } from '../errors.js';
import type { Notifier } from '../notify.js';
import type { DaemonEvent, EngineError, EngineState, LastCrash, LoadResult, StatusResult } from '../protocol/protocol.js';
import type { RunEnd } from '../supervisor/supervisor.js';
import { ReadyWaiters, type ReadyEngine } from '../supervisor/ready-waiters.js';
import type { RemoteConfig } from './remote-config.js';
import { remoteTransport, type Transport } from './transport.js';
import { authHeaders, readTokenFile, TokenFileError } from './upstream-auth.js';
import { afterProbe, candidates, markFailed, modelProblem, newUpstream, probeDelay, upstreamStatus, windowFor, type Upstream } from './upstream-health.js';
import { remoteOverflow } from './upstream-overflow.js';
import { probeUpstream, type ProbeResult } from './upstream-probe.js';

type EventBody = DaemonEvent extends infer E ? (E extends DaemonEvent ? Omit<E, 'at'> : never) : never;

export interface RemoteDeps {
  config: Config;
  log: Logger;
  emit(event: EventBody): void;
  notifier: Notifier;
  /** The daemon's one run counter (shared with the supervisor). */
  nextGen(): number;
  /** An upstream's healthy spell ended: what a client mid-answer on it is told. */
  onRunEnded?(gen: number, end: RunEnd): void;
  now?: () => number;
  /** A probe (a unit test passes its own). */
  probe?: typeof probeUpstream;
}

/** The client headers a remote may see besides the Anthropic ones: a router can keep a session on
 *  the replica that holds its prompt cache (vLLM production-stack's session routing). */
const FORWARDED = ['x-claude-code-session-id'] as const;

const NO_SKIP: ReadonlySet<number> = new Set();

export class RemoteEngine {
  #state: EngineState = 'stopped';
  /** The model asked for, else the configured one; null: the first the upstreams list. */
  #asked: string | null = null;
  #loaded = false;
  #ups: Upstream[] = [];
  readonly #timers = new Map<Upstream, NodeJS.Timeout>();
  readonly #probing = new Set<Upstream>();
  #token: string | null = null;
  #ca: string | null = null;
  #transport: Transport | null = null;
  /** Set by setContext; else the configured or reported window. */
  #contextWindow: number | null = null;
  #error: EngineError | null = null;
  #lastCrash: LastCrash | null = null;
  /** Bumped by every load and unload: a probe answer from before it is not this watch's. */
  #epoch = 0;
  #closed = false;
  readonly #waiters = new ReadyWaiters();
  readonly #now: () => number;

  constructor(private readonly d: RemoteDeps) {
    this.#now = d.now ?? Date.now;
  }

  get #cfg(): RemoteConfig | null { return this.d.config.remote; }

  /** Requests that go upstream at once. */
  get concurrency(): number { return this.#cfg?.concurrency ?? 1; }

  get loaded(): boolean { return this.#loaded; }

  /** The model in use: asked, configured, or the first a healthy upstream lists. */
  get #model(): string | null {
    if (this.#asked) return this.#asked;
    for (const u of this.#ups) if (u.healthy && u.models?.[0]) return u.models[0].id;
    return null;
  }

  get contextWindow(): number {
    return this.#contextWindow ?? windowFor(this.#ups, this.#cfg?.contextWindow ?? null, this.d.config.defaultContextWindow);
  }

  #set(to: EngineState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.d.log.info({ from, to, model: this.#model, kind: 'remote' }, 'engine state');
    this.d.emit({ type: 'state', from, to, model: this.#model });
  }

  /** Starts watching the configured upstreams for `model` (""/undefined: the configured one, else
   *  the first listed); resolves once one of them serves it, rejects with each one's error when
   *  none does after a first probe (the watch goes on: a later attach finds it back at once). */
  async load(model: string | undefined, contextWindow?: number): Promise<LoadResult> {
    if (this.#closed) throw cancelled('cclocald is shutting down');
    const cfg = this.#cfg;
    if (!cfg) throw engineFailed('no remote upstreams are configured', 'add {"remote": {"urls": ["https://…"]}} to config.json, then `cclocald restart` (README, "In front of a team\'s servers")');
    if (contextWindow !== undefined && !(Number.isInteger(contextWindow) && contextWindow >= 1024 && contextWindow <= MAX_CONTEXT_WINDOW)) throw invalidParams(`contextWindow must be an integer between 1024 and ${MAX_CONTEXT_WINDOW}`);
    const asked = model || cfg.model;
    // The files are read at every load: a rotated token or CA takes effect with `cclocald load`.
    let token: string | null;
    let ca: string | null;
    try {
      token = cfg.tokenFile ? readTokenFile(cfg.tokenFile) : null;
      ca = cfg.caFile ? readCa(cfg.caFile) : null;
    } catch (err) {
      const e = err instanceof TokenFileError ? engineFailed(err.message, err.hint) : err instanceof DaemonError ? err : engineFailed((err as Error).message);
      this.#stopWatching();
      this.#epoch++;
      this.#loaded = true;
      this.#fail(e);
      throw e;
    }
    const same = this.#loaded && asked === this.#asked && token === this.#token && ca === this.#ca && contextWindow === undefined;
    if (same && this.#state === 'ready') return this.#loadResult();
    this.#stopWatching();
    this.#epoch++;
    // A window set for this model (setContext) holds until another model is asked for.
    this.#contextWindow = contextWindow ?? (asked === this.#asked ? this.#contextWindow : null);
    this.#asked = asked;
    this.#error = null;
    this.#lastCrash = null;
    this.#loaded = true;
    this.#token = token;
    this.#ca = ca;
    this.#transport = remoteTransport(ca, cfg.concurrency + 2);
    this.#set('loading');
    this.#ups = cfg.urls.map(newUpstream);
    const wait = this.#waiters.forLoad(this.#asked ?? '');
    for (const u of this.#ups) void this.#probe(u, this.#epoch);
    return wait;
  }

  /** Stops watching; waiting requests hear that nothing is loaded. */
  async unload(): Promise<void> {
    this.#stopWatching();
    this.#epoch++;
    this.#loaded = false;
    this.#asked = null;
    this.#error = null;
    this.#set('stopped');
    this.#waiters.rejectAll(cancelled('the model was unloaded'), nothingLoaded());
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    this.#stopWatching();
    this.#epoch++;
    if (this.#loaded) this.#set('stopped');
    this.#waiters.rejectAll(cancelled('cclocald is shutting down'), shuttingDown());
  }

  setContext(contextWindow: number): { model: string | null; contextWindow: number } {
    if (!this.#loaded) throw invalidParams('no model is loaded; pass contextWindow to load instead');
    if (!(Number.isInteger(contextWindow) && contextWindow >= 1024 && contextWindow <= MAX_CONTEXT_WINDOW)) throw invalidParams(`contextWindow must be an integer between 1024 and ${MAX_CONTEXT_WINDOW}`);
    this.#contextWindow = contextWindow;
    const model = this.#model;
    this.d.log.info({ model, contextWindow, trigger: 'rpc' }, 'context window set');
    if (model) this.d.emit({ type: 'contextSet', model, contextWindow });
    return { model, contextWindow };
  }

  #stopWatching(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#probing.clear();
    this.#transport?.close();
    for (const u of this.#ups) if (u.healthy) this.d.onRunEnded?.(u.gen, { crashed: false, why: 'cclocald stopped using it' });
  }

  #fail(e: DaemonError): void {
    this.#error = { reason: e.reason, message: e.message, ...(e.data.hint ? { hint: e.data.hint } : {}) };
    this.d.log.error({ reason: e.reason, kind: 'remote' }, e.message);
    this.#set('failed');
    this.#waiters.rejectAll(e);
  }

  async #probe(u: Upstream, epoch: number): Promise<void> {
    const cfg = this.#cfg;
    if (!cfg || !this.#transport || this.#probing.has(u) || epoch !== this.#epoch) return;
    this.#probing.add(u);
    const clear = this.#timers.get(u);
    if (clear) { clearTimeout(clear); this.#timers.delete(u); }
    let r: ProbeResult;
    try {
      r = await (this.d.probe ?? probeUpstream)({ url: u.url, transport: this.#transport, token: this.#token, authStyle: u.authStyle, mode: cfg.probe, timeoutMs: cfg.probeTimeoutMs, model: this.#asked });
    } catch (err) {
      r = { ok: false, latencyMs: null, error: (err as Error).message };
    }
    if (epoch !== this.#epoch) return; // unloaded or loaded again meanwhile
    this.#probing.delete(u);
    const { became } = afterProbe(u, r, this.#asked, this.#now(), this.d.nextGen);
    this.#after(u, became);
    this.#schedule(u, epoch);
  }

  #schedule(u: Upstream, epoch: number): void {
    if (this.#closed || epoch !== this.#epoch || !this.#cfg) return;
    const t = setTimeout(() => { this.#timers.delete(u); void this.#probe(u, epoch); }, probeDelay(u, this.#cfg.probeIntervalMs));
    t.unref();
    this.#timers.set(u, t);
  }

  /** A request could not reach upstream spell `gen` (refused, reset, cut mid-answer, wedged):
   *  it is unhealthy from now, and probed again at once. A late report of an old spell is ignored. */
  reportFailed(gen: number, why: string): void {
    const u = this.#ups.find((x) => x.healthy && x.gen === gen);
    if (!u) return;
    const { became } = markFailed(u, why, this.#now());
    this.#after(u, became);
    void this.#probe(u, this.#epoch);
  }

  /** The endpoint saw spell `gen` stop generating while connected. */
  reportWedged(gen: number, detail: string): void {
    this.reportFailed(gen, `it stopped generating: ${detail}`);
  }

  /** What follows a health flip: the words for requests on it, the state, the waiters, the events. */
  #after(u: Upstream, became: 'healthy' | 'unhealthy' | null): void {
    const model = this.#model;
    if (became) {
      this.d.log[became === 'healthy' ? 'info' : 'warn']({ upstream: u.url, latencyMs: u.latencyMs, lastError: u.lastError, window: u.window, trigger: 'engine' }, `upstream ${became}`);
      this.d.emit({ type: 'upstream', url: u.url, healthy: u.healthy, latencyMs: u.latencyMs, lastError: u.lastError });
    }
    if (became === 'unhealthy') {
      const next = candidates(this.#ups, NO_SKIP)[0];
      this.d.onRunEnded?.(u.gen, { crashed: true, why: `it stopped answering (${u.lastError}); ${next ? `cclocald sends new requests to ${next.url}` : 'no other upstream is healthy, and cclocald keeps probing'}` });
    }
    const healthy = candidates(this.#ups, NO_SKIP);
    if (healthy.length > 0) {
      if (this.#state !== 'ready') this.d.log.info({ model, upstream: healthy[0]!.url, contextWindow: this.contextWindow }, 'engine ready');
      this.#error = null;
      this.#set('ready');
      this.#waiters.resolveLoads(this.#loadResult());
      this.#waiters.ready(this.#loadResult(), this.#readyEngine(healthy[0]!));
      return;
    }
    // None serves now. Before any has answered, or while some first probe is still out: wait on.
    const allAsked = this.#ups.every((x) => x.checkedAt !== null);
    if (!allAsked) return;
    const detail = this.#ups.map((x) => `${x.url}: ${x.lastError ?? 'not answering'}`).join('\n');
    if (this.#state === 'ready') {
      this.#lastCrash = { reason: 'unreachable', at: new Date(this.#now()).toISOString(), detail, exitCode: null, signal: null };
      this.d.emit({ type: 'crash', model: model ?? '', reason: 'unreachable', exitCode: null, signal: null, stderrTail: detail });
      this.d.notifier.notify(`${model ?? 'the remote model'}: no upstream answers; cclocald keeps probing`);
    }
    if (this.#state === 'loading' || this.#state === 'ready') {
      const e = this.#unreachable(detail);
      this.#error = { reason: e.reason, message: e.message, ...(e.data.hint ? { hint: e.data.hint } : {}) };
      this.#set('backoff');
      // A load waiting on the first probes hears why; requests wait on for an upstream to return.
      this.#waiters.rejectLoads(e);
    }
  }

  #unreachable(detail: string): DaemonError {
    const asked = this.#asked;
    const notServed = asked !== null && this.#ups.every((u) => u.lastError !== null && modelProblem(u.models, asked) !== null);
    if (notServed) {
      const listed = [...new Set(this.#ups.flatMap((u) => u.models?.map((m) => m.id) ?? []))].slice(0, 12);
      return unknownModel(asked, listed.length ? `the upstreams serve: ${listed.join(', ')}` : 'the upstreams list no models', 'remote');
    }
    return engineFailed(`no remote upstream answers:\n${detail}`, 'check that the upstreams are up and reachable from here; cclocald keeps probing them and serves as soon as one answers (`cclocald status`)');
  }

  /**
   * For the endpoint: the first healthy upstream in the configured order, outside `skip` (spells
   * the caller saw fail or refuse), waiting while none is healthy. Rejects at once when nothing is
   * loaded or the configuration cannot work.
   */
  awaitReady(skip: ReadonlySet<number> = NO_SKIP, signal?: AbortSignal): Promise<ReadyEngine> {
    if (this.#closed) return Promise.reject(shuttingDown());
    const now = this.tryReady(skip);
    if (now) return Promise.resolve(now);
    if (!this.#loaded || this.#state === 'stopped') return Promise.reject(nothingLoaded());
    if (this.#state === 'failed') return Promise.reject(engineFailed(this.#error?.message ?? 'the remote engine failed', this.#error?.hint));
    return this.#waiters.forEngine(skip, signal);
  }

  /** A healthy upstream outside `skip` now, or null (never waits). */
  tryReady(skip: ReadonlySet<number>): ReadyEngine | null {
    if (this.#state !== 'ready') return null;
    const u = candidates(this.#ups, skip)[0];
    return u ? this.#readyEngine(u) : null;
  }

  #readyEngine(u: Upstream): ReadyEngine {
    const cfg = this.#cfg!;
    return {
      gen: u.gen, url: u.url, model: this.#model ?? '', contextWindow: this.contextWindow, contextShrunkFrom: null,
      // The token on the upstream hop only, in the style it took at the probe.
      auth: authHeaders(u.authStyle ?? 'bearer', this.#token),
      streamsPromptTokens: true, overflow: remoteOverflow, transport: this.#transport!, label: `the upstream ${u.url}`,
      failover: { maxAttempts: this.#ups.length + 1, overloadRetryMs: cfg.overloadRetryMs }, forwardHeaders: FORWARDED,
    };
  }

  #loadResult(): LoadResult {
    return { model: this.#model ?? '', contextWindow: this.contextWindow, url: candidates(this.#ups, NO_SKIP)[0]?.url ?? '', kind: 'remote' };
  }

  view(): { state: EngineState; model: string | null; contextWindow: number } {
    return { state: this.#state, model: this.#loaded ? this.#model : null, contextWindow: this.contextWindow };
  }

  status(): StatusResult['engine'] {
    const first = candidates(this.#ups, NO_SKIP)[0];
    return {
      kind: 'remote', state: this.#state, model: this.#loaded ? this.#model : null, contextWindow: this.contextWindow, contextShrunkFrom: null,
      pid: null, url: first?.url ?? null, restarts: 0, lastCrash: this.#lastCrash, error: this.#error, bin: null, progress: null, memory: null,
      upstreams: (this.#loaded ? this.#ups : (this.#cfg?.urls ?? []).map(newUpstream)).map(upstreamStatus),
    };
  }
}

function readCa(path: string): string {
  let pem: string;
  try { pem = readFileSync(path, 'utf8'); } catch (err) {
    throw engineFailed(`cannot read the remote CA file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'point remote.caFile at the PEM file of the CA that signed the upstreams\' certificates');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw engineFailed(`the remote CA file ${path} holds no PEM certificate`, 'point remote.caFile at a PEM file (-----BEGIN CERTIFICATE-----)');
  return pem;
}
