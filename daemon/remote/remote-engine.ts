// The `remote` engine kind: servers cclocald does not run (a team's vLLM or SGLang cluster, a
// llama-server on another box, a LiteLLM proxy), watched instead of supervised. There is no
// process, no pid and no out-of-memory shrink; what a remote can do maps onto the same states:
//
//   load ─→ loading (first probes) ─any upstream healthy→ ready ─every upstream failing→ backoff
//   backoff ─an upstream answers again→ ready        a token or CA file that cannot be used ─→ failed
//
// Each upstream is probed on its own timer (probeDelay: an interval while healthy, a growing
// backoff while not). A request that cannot reach its upstream reports it here, which marks it
// unhealthy at once and probes it again; requests then go to the next healthy one. Every probe and
// report carries the watch's epoch: one from before an unload or another load changes nothing.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { cancelled, DaemonError, engineFailed, invalidParams, nothingLoaded, shuttingDown, unknownModel } from '../errors.js';
import { remoteTransport, type Transport } from '../endpoint/transport.js';
import type { Notifier } from '../notify.js';
import type { DaemonEvent, EngineError, EngineState, LastCrash, LoadResult, StatusResult } from '../protocol/protocol.js';
import { ReadyWaiters, type ReadyEngine } from '../supervisor/ready-waiters.js';
import type { RunEnd } from '../supervisor/supervisor.js';
import { plaintextTokenUrls, validWindow, type PreparedLoad } from './remote-files.js';
import { authHeaders } from './upstream-auth.js';
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
  #loaded = false;
  #closed = false;
  /** The watch in force: its configuration, model, token and CA; null when nothing is loaded. */
  #p: PreparedLoad | null = null;
  #ups: Upstream[] = [];
  readonly #timers = new Map<Upstream, NodeJS.Timeout>();
  readonly #probing = new Set<Upstream>();
  #transport: Transport | null = null;
  /** Set by setContext or a load's window; else the configured or reported one. */
  #contextWindow: number | null = null;
  /** The model the upstreams listed first, when none was asked: kept while they are down. */
  #discovered: string | null = null;
  #error: EngineError | null = null;
  #lastCrash: LastCrash | null = null;
  #epoch = 0;
  readonly #waiters = new ReadyWaiters();
  readonly #now: () => number;

  constructor(private readonly d: RemoteDeps) {
    this.#now = d.now ?? Date.now;
  }

  /** Requests that go upstream at once. */
  get concurrency(): number { return this.d.config.remote?.concurrency ?? 1; }

  get loaded(): boolean { return this.#loaded; }

  /** The model in use: asked, configured, or the first a healthy upstream lists. */
  get #model(): string | null {
    if (this.#p?.asked) return this.#p.asked;
    for (const u of this.#ups) if (u.healthy && u.models?.[0]) return u.models[0].id;
    // With every upstream down, the one discovered last is still the one in use.
    return this.#discovered;
  }

  get contextWindow(): number {
    return this.#contextWindow ?? windowFor(this.#ups, this.d.config.remote?.contextWindow ?? null, this.d.config.defaultContextWindow);
  }

  #set(to: EngineState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.d.log.info({ from, to, model: this.#model, kind: 'remote' }, 'engine state');
    this.d.emit({ type: 'state', from, to, model: this.#model });
  }

  /**
   * Watches the configured upstreams for the prepared model (remote-files.ts has read and checked
   * everything first); resolves once one of them serves it, rejects with each one's error when
   * none does after a first probe (the watch goes on: a later attach finds it back at once). A
   * load that changes only the window sets it without cutting anything.
   */
  load(p: PreparedLoad): Promise<LoadResult> {
    if (this.#closed) return Promise.reject(cancelled('cclocald is shutting down'));
    const cur = this.#p;
    const same = this.#loaded && cur !== null && this.#state !== 'failed' && p.asked === cur.asked && p.token === cur.token && p.ca === cur.ca;
    if (same) {
      if (p.contextWindow !== undefined) this.setContext(p.contextWindow);
      return this.#state === 'ready' ? Promise.resolve(this.#loadResult()) : this.#waiters.forLoad('');
    }
    // Another model, token or CA: a new watch. A load still waiting hears it was replaced.
    this.#waiters.rejectLoads(cancelled(`replaced by another load${p.asked ? ` (${p.asked})` : ''}`));
    this.#stopWatching({ keepTransport: cur !== null && p.ca === cur.ca });
    this.#contextWindow = p.contextWindow ?? (cur && p.asked === cur.asked ? this.#contextWindow : null);
    if (!cur || p.asked !== cur.asked) this.#discovered = null;
    this.#p = p;
    this.#loaded = true;
    this.#error = null;
    this.#lastCrash = null;
    this.#transport ??= remoteTransport(p.ca, p.cfg.concurrency + 2);
    for (const url of plaintextTokenUrls(p)) this.d.log.warn({ upstream: url }, 'the remote token is sent to this upstream over plain HTTP; use https:// beyond this machine');
    this.#ups = p.cfg.urls.map(newUpstream);
    this.#set('loading');
    const wait = this.#waiters.forLoad('');
    const epoch = this.#epoch;
    for (const u of this.#ups) void this.#probe(u, epoch);
    return wait;
  }

  /** A load that could not even start (remote-files.ts refused it) while this engine is the one in
   *  use: it is failed, with the reason, and watches nothing. */
  failLoad(e: DaemonError): void {
    this.#stopWatching({ keepTransport: false });
    this.#loaded = true;
    this.#fail(e);
  }

  /** Stops watching; waiting requests hear that nothing is loaded. */
  async unload(): Promise<void> {
    this.#stopWatching({ keepTransport: false });
    this.#loaded = false;
    this.#p = null;
    this.#discovered = null;
    this.#error = null;
    this.#set('stopped');
    this.#waiters.rejectAll(cancelled('the model was unloaded'), nothingLoaded());
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    this.#stopWatching({ keepTransport: false });
    if (this.#loaded) this.#set('stopped');
    this.#waiters.rejectAll(cancelled('cclocald is shutting down'), shuttingDown());
  }

  setContext(contextWindow: number): { model: string | null; contextWindow: number } {
    if (!this.#loaded) throw invalidParams('no model is loaded; pass contextWindow to load instead');
    this.#contextWindow = validWindow(contextWindow);
    const model = this.#model;
    this.d.log.info({ model, contextWindow, trigger: 'rpc' }, 'context window set');
    if (model) this.d.emit({ type: 'contextSet', model, contextWindow });
    return { model, contextWindow };
  }

  /** Ends the watch in force: timers, probes and healthy spells (requests on them are told why).
   *  Open answers go on over the old connections unless the transport is closed (unload, a new CA). */
  #stopWatching(o: { keepTransport: boolean }): void {
    this.#epoch++;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#probing.clear();
    for (const u of this.#ups) if (u.healthy) this.d.onRunEnded?.(u.gen, { crashed: false, why: 'cclocald stopped using it' });
    this.#ups = [];
    if (!o.keepTransport) { this.#transport?.close(); this.#transport = null; }
  }

  #fail(e: DaemonError): void {
    this.#error = { reason: e.reason, message: e.message, ...(e.data.hint ? { hint: e.data.hint } : {}) };
    this.d.log.error({ reason: e.reason, kind: 'remote' }, e.message);
    this.#set('failed');
    this.#waiters.rejectAll(e);
  }

  /** The watch of `epoch` is still the one in force. */
  #current(epoch: number): boolean {
    return !this.#closed && this.#loaded && epoch === this.#epoch && this.#p !== null && this.#transport !== null;
  }

  async #probe(u: Upstream, epoch: number): Promise<void> {
    if (!this.#current(epoch) || this.#probing.has(u)) return;
    const p = this.#p!;
    this.#probing.add(u);
    const pending = this.#timers.get(u);
    if (pending) { clearTimeout(pending); this.#timers.delete(u); }
    let r: ProbeResult;
    try {
      r = await (this.d.probe ?? probeUpstream)({ url: u.url, transport: this.#transport!, token: p.token, authStyle: u.authStyle, mode: p.cfg.probe, timeoutMs: p.cfg.probeTimeoutMs, model: p.asked });
    } catch (err) {
      r = { ok: false, latencyMs: null, error: (err as Error).message };
    }
    if (!this.#current(epoch)) return; // unloaded or loaded again meanwhile
    this.#probing.delete(u);
    r = r.ok ? { ...r, busy: r.busy && this.scrub(r.busy) } : { ...r, error: this.scrub(r.error) };
    const { became } = afterProbe(u, r, p.asked, this.#now(), this.d.nextGen);
    this.#after(u, became);
    this.#schedule(u, epoch);
  }

  #schedule(u: Upstream, epoch: number): void {
    if (!this.#current(epoch)) return;
    const t = setTimeout(() => { this.#timers.delete(u); void this.#probe(u, epoch); }, probeDelay(u, this.#p!.cfg.probeIntervalMs));
    t.unref();
    this.#timers.set(u, t);
  }

  /** The healthy spell `gen` of the watch in force, if there is one. */
  #spell(gen: number): Upstream | undefined {
    return this.#current(this.#epoch) ? this.#ups.find((x) => x.healthy && x.gen === gen) : undefined;
  }

  /** A request could not reach upstream spell `gen` (refused, reset, cut mid-answer, wedged):
   *  it is unhealthy from now, and probed again at once. A report of an old spell is ignored. */
  reportFailed(gen: number, why: string): void {
    const u = this.#spell(gen);
    if (!u) return;
    const { became } = markFailed(u, this.scrub(why), this.#now());
    this.#after(u, became);
    void this.#probe(u, this.#epoch);
  }

  /** The endpoint saw spell `gen` stop generating while connected. */
  reportWedged(gen: number, detail: string): void {
    this.reportFailed(gen, `it stopped generating: ${detail}`);
  }

  /** Spell `gen` refused the token in the header it was sent in: the other header from now on
   *  (the probe could only guess, where /v1/models needs no key). False when there is no token. */
  flipAuth(gen: number): boolean {
    const u = this.#spell(gen);
    if (!u || this.#p?.token == null) return false;
    u.authStyle = u.authStyle === 'x-api-key' ? 'bearer' : 'x-api-key';
    this.d.log.info({ upstream: u.url, authStyle: u.authStyle }, 'the upstream refused the token; sending it the other way');
    return true;
  }

  /** The upstream token, never passed on: not in a status, a log or an answer to the client. */
  scrub(text: string): string {
    const token = this.#p?.token;
    return token ? text.split(token).join('[token]') : text;
  }

  /** What follows a health flip: the words for requests on it, the state, the waiters, the events. */
  #after(u: Upstream, became: 'healthy' | 'unhealthy' | null): void {
    if (became) {
      this.d.log[became === 'healthy' ? 'info' : 'warn']({ upstream: u.url, latencyMs: u.latencyMs, lastError: u.lastError, window: u.window, trigger: 'engine' }, `upstream ${became}`);
      this.d.emit({ type: 'upstream', url: u.url, healthy: u.healthy, latencyMs: u.latencyMs, lastError: u.lastError });
    }
    const healthy = candidates(this.#ups, NO_SKIP);
    if (became === 'unhealthy') {
      const next = healthy[0]?.url;
      const then = next ? `cclocald sends new requests to ${next}` : 'no other upstream is healthy, and cclocald keeps probing';
      this.d.onRunEnded?.(u.gen, { crashed: true, why: `it stopped answering (${u.lastError}); ${then}` });
    }
    if (healthy.length > 0) return this.#serving(healthy[0]!);
    // None serves now. While some first probe is still out: wait on.
    if (this.#ups.some((x) => x.checkedAt === null)) return;
    const detail = this.#ups.map((x) => `${x.url}: ${x.lastError ?? 'not answering'}`).join('\n');
    if (this.#state === 'ready') {
      this.#lastCrash = { reason: 'unreachable', at: new Date(this.#now()).toISOString(), detail, exitCode: null, signal: null };
      this.d.emit({ type: 'crash', model: this.#model ?? '', reason: 'unreachable', exitCode: null, signal: null, stderrTail: detail });
      this.d.notifier.notify(`${this.#model ?? 'the remote model'}: no upstream answers; cclocald keeps probing`);
    }
    if (this.#state === 'loading' || this.#state === 'ready') {
      const e = this.#unreachable(detail);
      this.#error = { reason: e.reason, message: e.message, ...(e.data.hint ? { hint: e.data.hint } : {}) };
      this.#set('backoff');
      // A load waiting on the first probes hears why; requests wait on for an upstream to return.
      this.#waiters.rejectLoads(e);
    }
  }

  #serving(first: Upstream): void {
    if (!this.#p?.asked) this.#discovered = first.models?.[0]?.id ?? this.#discovered;
    if (this.#state !== 'ready') this.d.log.info({ model: this.#model, upstream: first.url, contextWindow: this.contextWindow }, 'engine ready');
    this.#error = null;
    this.#set('ready');
    this.#waiters.resolveLoads(this.#loadResult());
    this.#waiters.ready(this.#loadResult(), this.#readyEngine(first));
  }

  #unreachable(detail: string): DaemonError {
    const asked = this.#p?.asked ?? null;
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
    const p = this.#p!;
    return {
      gen: u.gen, url: u.url, model: this.#model ?? '', contextWindow: this.contextWindow, contextShrunkFrom: null,
      // The token on the upstream hop only, in the style it took at the probe.
      auth: authHeaders(u.authStyle ?? 'bearer', p.token),
      streamsPromptTokens: true, overflow: remoteOverflow, transport: this.#transport!, label: `the upstream ${u.url}`,
      failover: { maxAttempts: this.#ups.length + 1, overloadRetryMs: p.cfg.overloadRetryMs }, forwardHeaders: FORWARDED,
      scrub: (text) => this.scrub(text), canFlipAuth: p.token !== null,
    };
  }

  #loadResult(): LoadResult {
    return { model: this.#model ?? '', contextWindow: this.contextWindow, url: candidates(this.#ups, NO_SKIP)[0]?.url ?? '', kind: 'remote' };
  }

  view(): { state: EngineState; model: string | null; contextWindow: number } {
    return { state: this.#state, model: this.#loaded ? this.#model : null, contextWindow: this.contextWindow };
  }

  status(): StatusResult['engine'] {
    const shown = this.#ups.length ? this.#ups : (this.d.config.remote?.urls ?? []).map(newUpstream);
    return {
      kind: 'remote', state: this.#state, model: this.#loaded ? this.#model : null, contextWindow: this.contextWindow, contextShrunkFrom: null,
      pid: null, url: candidates(this.#ups, NO_SKIP)[0]?.url ?? null, restarts: 0, lastCrash: this.#lastCrash, error: this.#error,
      bin: null, progress: null, memory: null, upstreams: shown.map(upstreamStatus),
    };
  }
}
