// The remote engine (remote-engine.ts) driven by a fake probe: when a load resolves or rejects,
// which upstream a request goes to, what a failure report, an unload or another load changes, the
// token kept out of everything shown, and the engine host refusing a remote load it cannot make
// before the warm local engine is let go. No sockets and no processes: the probe is a function.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { loadConfig, type Config } from '../../daemon/config.js';
import { EngineHost } from '../../daemon/engine-host.js';
import { DaemonError } from '../../daemon/errors.js';
import type { Notifier } from '../../daemon/notify.js';
import { RemoteEngine, type RemoteDeps } from '../../daemon/remote/remote-engine.js';
import { prepareLoad } from '../../daemon/remote/remote-files.js';
import type { UpstreamModel } from '../../daemon/remote/upstream-models.js';
import type { ProbeInput, ProbeResult } from '../../daemon/remote/upstream-probe.js';
import type { RunEnd, Supervisor } from '../../daemon/supervisor/supervisor.js';
import { onCleanup, tempDir } from '../helpers/temp-home.js';

const U1 = 'http://127.0.0.1:1';
const U2 = 'http://127.0.0.1:2';
const MODEL = 'qwen3-coder';
const TOKEN = 'team-token-5f3a9c1e7b2d';
/** Long enough that a healthy upstream is not probed again during a test that counts probes. */
const QUIET = { probeIntervalMs: 600_000 };

type Ev = Parameters<RemoteDeps['emit']>[0];
type EvOf<K extends Ev['type']> = Extract<Ev, { type: K }>;

const healthy = (models: UpstreamModel[] | null = [{ id: MODEL, window: 24576 }], extra: Partial<Extract<ProbeResult, { ok: true }>> = {}): ProbeResult =>
  ({ ok: true, latencyMs: 12, models, window: null, authStyle: null, busy: null, ...extra });
const down = (error = 'connection refused (nothing listens there)'): ProbeResult => ({ ok: false, latencyMs: null, error });
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Wakes whoever waits whenever something the test watches changes (an event, a probe call). */
class Changes {
  readonly #wakers = new Set<() => void>();
  changed(): void { for (const w of [...this.#wakers]) w(); }
  /** Resolves with check()'s first truthy value; fails after `timeoutMs` naming `what`. */
  async until<T>(check: () => T | null | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.#wakers.delete(done); resolve(); };
        const timer = setTimeout(done, left);
        this.#wakers.add(done);
      });
    }
  }
}

interface Held { url: string; input: ProbeInput; release(r: ProbeResult): void }

/** The upstreams as the engine's probe sees them: an answer per URL, or 'hold' (the probe stays
 *  in flight until the test releases it). Every call is kept. */
class FakeProbes {
  readonly calls: ProbeInput[] = [];
  readonly held: Held[] = [];
  readonly #answers = new Map<string, ProbeResult | 'hold'>();
  constructor(private readonly changes: Changes) {}

  set(url: string, a: ProbeResult | 'hold'): void { this.#answers.set(url, a); }

  readonly probe = (i: ProbeInput): Promise<ProbeResult> => {
    this.calls.push(i);
    const a = this.#answers.get(i.url) ?? down('no answer scripted');
    const p = a === 'hold'
      ? new Promise<ProbeResult>((resolve) => this.held.push({ url: i.url, input: i, release: resolve }))
      : Promise.resolve(a);
    this.changes.changed();
    return p;
  };

  callsTo(url: string): number { return this.calls.filter((c) => c.url === url).length; }

  /** Releases the one probe of `url` held in flight. */
  release(url: string, r: ProbeResult): void {
    const i = this.held.findIndex((h) => h.url === url);
    assert.ok(i >= 0, `no probe of ${url} is held`);
    this.held.splice(i, 1)[0]!.release(r);
  }
}

interface Harness {
  engine: RemoteEngine;
  config: Config;
  probes: FakeProbes;
  events: Ev[];
  notes: string[];
  runEnds: Array<{ gen: number; end: RunEnd }>;
  changes: Changes;
  load(model?: string, contextWindow?: number): ReturnType<RemoteEngine['load']>;
  next<K extends Ev['type']>(type: K, pred: (e: EvOf<K>) => boolean, what: string): Promise<EvOf<K>>;
  ofType<K extends Ev['type']>(type: K): EvOf<K>[];
}

/** A Config as the daemon reads it, from a temp CCLOCAL_HOME's config.json. */
function remoteConfig(t: TestContext, remote: Record<string, unknown> = {}, top: Record<string, unknown> = { engine: 'remote' }): Config {
  const home = tempDir(t);
  writeFileSync(join(home, 'config.json'), JSON.stringify({ ...top, remote: { urls: [U1, U2], probeIntervalMs: 50, ...remote } }));
  return loadConfig({ CCLOCAL_HOME: home });
}

function tokenFile(t: TestContext, mode = 0o600): string {
  const path = join(tempDir(t), 'remote-token');
  writeFileSync(path, `${TOKEN}\n`);
  chmodSync(path, mode);
  return path;
}

function harness(t: TestContext, remote: Record<string, unknown> = {}): Harness {
  const config = remoteConfig(t, remote);
  const changes = new Changes();
  const probes = new FakeProbes(changes);
  const events: Ev[] = [];
  const notes: string[] = [];
  const runEnds: Array<{ gen: number; end: RunEnd }> = [];
  let gen = 100;
  const notifier: Notifier = { notify(message) { notes.push(message); } };
  const engine = new RemoteEngine({
    config, log: pino({ level: 'silent' }), notifier, probe: probes.probe,
    emit: (e) => { events.push(e); changes.changed(); },
    nextGen: () => ++gen,
    onRunEnded: (g, end) => runEnds.push({ gen: g, end }),
  });
  onCleanup(t, () => engine.shutdown());
  const ofType = <K extends Ev['type']>(type: K) => events.filter((e): e is EvOf<K> => e.type === type);
  return {
    engine, config, probes, events, notes, runEnds, changes, ofType,
    load: (model, contextWindow) => engine.load(prepareLoad(config.remote, model, contextWindow)),
    next: (type, pred, what) => changes.until(() => ofType(type).find(pred), what),
  };
}

const transitions = (h: Harness) => h.ofType('state').map((e) => `${e.from}→${e.to}`);

test('load resolves as soon as the first upstream is healthy; status then shows both with latency and window', async (t) => {
  const h = harness(t);
  h.probes.set(U1, healthy([{ id: MODEL, window: 24576 }], { latencyMs: 12 }));
  h.probes.set(U2, 'hold');
  const r = await h.load();
  assert.deepEqual(r, { model: MODEL, contextWindow: 24576, url: U1, kind: 'remote' }, 'the model is the one the first healthy upstream lists');
  assert.deepEqual(transitions(h), ['stopped→loading', 'loading→ready']);
  assert.equal(h.ofType('state').at(-1)!.model, MODEL);
  assert.equal(h.probes.calls[0]!.model, null, 'no model was asked of the probe');

  h.probes.release(U2, healthy([{ id: MODEL, window: 32768 }], { latencyMs: 30 }));
  await h.next('upstream', (e) => e.url === U2 && e.healthy, `${U2} healthy`);
  const s = h.engine.status();
  assert.equal(s.state, 'ready');
  assert.equal(s.model, MODEL);
  assert.equal(s.url, U1);
  assert.equal(s.contextWindow, 24576, 'the smallest window any healthy upstream reports');
  assert.deepEqual(s.upstreams!.map((u) => [u.url, u.healthy, u.latencyMs, u.contextWindow, u.lastError]), [
    [U1, true, 12, 24576, null],
    [U2, true, 30, 32768, null],
  ]);
  assert.ok(s.upstreams!.every((u) => u.checkedAt !== null));
});

test('with no model asked or configured, the first model the healthy upstream lists is used', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, down());
  h.probes.set(U2, healthy([{ id: 'deepseek-v3', window: null }, { id: 'other', window: null }]));
  const r = await h.load();
  assert.equal(r.model, 'deepseek-v3');
  assert.equal(r.url, U2);
  assert.equal(h.engine.view().model, 'deepseek-v3');
  assert.equal(h.engine.tryReady(new Set())!.model, 'deepseek-v3');
});

test('when every first probe fails, load rejects naming each upstream\'s error, and serves once one comes back', async (t) => {
  const h = harness(t);
  h.probes.set(U1, down('connection refused (nothing listens there)'));
  h.probes.set(U2, down('no answer within 5000 ms'));
  await assert.rejects(h.load(), (err: Error) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.reason, 'engine-failed');
    assert.match(err.message, new RegExp(`${U1}: connection refused \\(nothing listens there\\)`));
    assert.match(err.message, new RegExp(`${U2}: no answer within 5000 ms`));
    return true;
  });
  assert.equal(h.engine.view().state, 'backoff');
  assert.deepEqual(transitions(h), ['stopped→loading', 'loading→backoff']);
  assert.equal(h.engine.status().error?.reason, 'engine-failed');
  assert.equal(h.ofType('crash').length, 0, 'a first load that finds nothing is not a crash');

  const waiting = h.engine.awaitReady();
  h.probes.set(U2, healthy());
  await h.next('state', (e) => e.to === 'ready', 'ready after the upstream returned');
  const e = await waiting;
  assert.equal(e.url, U2);
  assert.equal(e.model, MODEL);
  assert.equal(h.engine.status().error, null);
});

test('the model asked for that no upstream serves: load rejects with unknown-model listing what they serve', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, healthy([{ id: 'a', window: null }]));
  h.probes.set(U2, healthy([{ id: 'b', window: null }]));
  await assert.rejects(h.load('missing-model'), (err: Error) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.reason, 'unknown-model');
    assert.match(err.data.hint ?? err.message, /the upstreams serve: a, b/);
    return true;
  });
  assert.equal(h.engine.view().state, 'backoff');
});

test('requests go to the first healthy upstream in configured order; awaitReady skips the spells it is told to; tryReady is null when none is left', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, 'hold');
  h.probes.set(U2, healthy());
  assert.equal((await h.load()).url, U2, 'the second answers first: it serves meanwhile');
  assert.equal(h.engine.tryReady(new Set())!.url, U2);

  h.probes.release(U1, healthy());
  await h.next('upstream', (e) => e.url === U1 && e.healthy, `${U1} healthy`);
  const first = h.engine.tryReady(new Set())!;
  assert.equal(first.url, U1, 'the first configured wins once healthy');
  const second = await h.engine.awaitReady(new Set([first.gen]));
  assert.equal(second.url, U2);
  assert.notEqual(second.gen, first.gen);
  assert.equal(h.engine.tryReady(new Set([first.gen, second.gen])), null);

  // Every healthy spell skipped: awaitReady waits (it does not hand back a skipped one).
  const ac = new AbortController();
  const waiting = h.engine.awaitReady(new Set([first.gen, second.gen]), ac.signal);
  ac.abort(new Error('the client went away'));
  await assert.rejects(waiting, /the client went away/);
});

test('a failure report marks the upstream unhealthy at once and traffic moves to the other; a report of an old spell is ignored', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, healthy());
  h.probes.set(U2, healthy());
  await h.load();
  await h.next('upstream', (e) => e.url === U2 && e.healthy, `${U2} healthy`);
  const before = h.engine.tryReady(new Set())!;
  assert.equal(before.url, U1);

  h.probes.set(U1, 'hold');
  const probesBefore = h.probes.callsTo(U1);
  h.engine.reportFailed(before.gen, 'the connection was reset');
  const ev = h.ofType('upstream').at(-1)!;
  assert.deepEqual([ev.url, ev.healthy, ev.lastError], [U1, false, 'the connection was reset']);
  assert.equal(h.engine.tryReady(new Set())!.url, U2, 'the next request goes to the other');
  assert.equal(h.engine.view().state, 'ready');
  assert.equal(h.probes.callsTo(U1), probesBefore + 1, 'probed again at once');
  const ended = h.runEnds.find((r) => r.gen === before.gen)!;
  assert.equal(ended.end.crashed, true);
  assert.match(ended.end.why, new RegExp(`sends new requests to ${U2}`));

  h.probes.release(U1, healthy());
  await h.next('upstream', (e) => e.url === U1 && e.healthy, `${U1} healthy again`);
  const back = h.engine.tryReady(new Set())!;
  assert.equal(back.url, U1);
  assert.notEqual(back.gen, before.gen, 'a new healthy spell');

  const eventsBefore = h.events.length;
  const callsBefore = h.probes.calls.length;
  h.engine.reportFailed(before.gen, 'a late report of the old spell');
  assert.equal(h.events.length, eventsBefore);
  assert.equal(h.probes.calls.length, callsBefore);
  assert.equal(h.engine.tryReady(new Set())!.gen, back.gen);
});

test('REGRESSION: after unload, a late failure report and a probe that was in flight change nothing, and no probe is scheduled', async (t) => {
  // The engine's probe timers are mocked: the test can run them all and see that none is left.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const h = harness(t);
  h.probes.set(U1, healthy());
  h.probes.set(U2, 'hold');
  await h.load();
  const spell = h.engine.tryReady(new Set())!;
  // The timers are live before the unload: the healthy upstream is probed again after its interval.
  t.mock.timers.tick(50);
  assert.equal(h.probes.callsTo(U1), 2);
  await flush();

  await h.engine.unload();
  assert.equal(h.engine.view().state, 'stopped');
  const eventsAtUnload = h.events.length;
  const callsAtUnload = h.probes.calls.length;

  h.engine.reportFailed(spell.gen, 'a request that was open when the model was unloaded');
  h.probes.release(U2, healthy());
  await flush();
  t.mock.timers.tick(3_600_000);
  await flush();

  assert.equal(h.engine.view().state, 'stopped');
  assert.deepEqual(h.events.slice(eventsAtUnload), [], 'no state or upstream event after the unload');
  assert.equal(h.probes.calls.length, callsAtUnload, 'no probe after the unload');
  assert.equal(h.engine.tryReady(new Set()), null);
  assert.deepEqual(h.engine.status().upstreams!.map((u) => u.healthy), [false, false]);
  await assert.rejects(h.engine.awaitReady(), (err: Error) => err instanceof DaemonError && err.reason === 'nothing-loaded');
});

test('a second load for another model while the first still waits: the first is told it was replaced, never given the second\'s model', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, 'hold');
  h.probes.set(U2, 'hold');
  const first = h.load('model-a');
  h.probes.set(U1, healthy([{ id: 'model-b', window: null }]));
  h.probes.set(U2, healthy([{ id: 'model-b', window: null }]));
  const second = h.load('model-b');
  await assert.rejects(first, (err: Error) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.reason, 'cancelled');
    assert.match(err.message, /replaced by another load \(model-b\)/);
    return true;
  });
  assert.equal((await second).model, 'model-b');

  // The first watch's probes answer late: they change nothing.
  h.probes.release(U1, healthy([{ id: 'model-a', window: null }]));
  h.probes.release(U2, down('late'));
  await flush();
  assert.equal(h.engine.view().model, 'model-b');
  assert.deepEqual(h.engine.status().upstreams!.map((u) => [u.healthy, u.lastError]), [[true, null], [true, null]]);
});

test('a load that changes only the context window sets it without probing again or cutting a spell', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, healthy());
  h.probes.set(U2, healthy());
  await h.load(MODEL);
  const spell = h.engine.tryReady(new Set())!;
  const calls = h.probes.calls.length;
  const states = h.ofType('state').length;

  const r = await h.load(MODEL, 20480);
  assert.equal(r.contextWindow, 20480);
  assert.equal(r.model, MODEL);
  assert.equal(h.probes.calls.length, calls, 'not probed again');
  assert.equal(h.ofType('state').length, states, 'no loading state');
  assert.deepEqual(h.ofType('contextSet').map((e) => [e.model, e.contextWindow]), [[MODEL, 20480]]);
  assert.equal(h.engine.view().contextWindow, 20480);
  const after = h.engine.tryReady(new Set())!;
  assert.equal(after.gen, spell.gen, 'the healthy spell goes on');
  assert.equal(after.contextWindow, 20480);
  assert.equal(h.runEnds.length, 0);
});

test('without a token there is no auth header to flip', async (t) => {
  const h = harness(t, QUIET);
  h.probes.set(U1, healthy());
  await h.load();
  const e = h.engine.tryReady(new Set())!;
  assert.deepEqual(e.auth, {});
  assert.equal(e.canFlipAuth, false);
  assert.equal(h.engine.flipAuth(e.gen), false);
});

test('with a token file, flipAuth switches Bearer to x-api-key for the next request to that upstream', async (t) => {
  const h = harness(t, { ...QUIET, tokenFile: tokenFile(t) });
  h.probes.set(U1, healthy(undefined, { authStyle: 'bearer' }));
  h.probes.set(U2, healthy(undefined, { authStyle: 'bearer' }));
  await h.load();
  assert.equal(h.probes.calls[0]!.token, TOKEN, 'the probe carries the token');
  const e = h.engine.tryReady(new Set())!;
  assert.equal(e.canFlipAuth, true);
  assert.deepEqual(e.auth, { authorization: `Bearer ${TOKEN}` });

  assert.equal(h.engine.flipAuth(e.gen), true);
  const next = h.engine.tryReady(new Set())!;
  assert.equal(next.gen, e.gen);
  assert.deepEqual(next.auth, { 'x-api-key': TOKEN });
  assert.equal(h.engine.flipAuth(99_999), false, 'a spell that is not healthy now is not flipped');
});

test('the token is scrubbed: from any text, and from a probe\'s error shown in status', async (t) => {
  const h = harness(t, { ...QUIET, tokenFile: tokenFile(t) });
  assert.equal(h.engine.scrub(`key ${TOKEN}`), `key ${TOKEN}`, 'nothing to scrub before a load reads the token');
  h.probes.set(U1, down(`/v1/models answered 500: invalid key ${TOKEN}`));
  h.probes.set(U2, healthy(undefined, { authStyle: 'bearer' }));
  await h.load();
  assert.equal(h.engine.scrub(`Bearer ${TOKEN}, again ${TOKEN}`), 'Bearer [token], again [token]');
  assert.equal(h.engine.status().upstreams![0]!.lastError, '/v1/models answered 500: invalid key [token]');

  const e = h.engine.tryReady(new Set())!;
  assert.equal(e.scrub(`x ${TOKEN}`), 'x [token]');
  h.probes.set(U2, 'hold');
  h.engine.reportFailed(e.gen, `it said: bad token ${TOKEN}`);
  assert.equal(h.ofType('upstream').at(-1)!.lastError, 'it said: bad token [token]');
  assert.ok(!JSON.stringify(h.engine.status()).includes(TOKEN), 'the token is nowhere in status');
  assert.ok(!JSON.stringify(h.events).includes(TOKEN), 'the token is in no event');
});

test('the token is scrubbed from an overloaded upstream\'s words shown in status', async (t) => {
  const h = harness(t, { ...QUIET, tokenFile: tokenFile(t) });
  h.probes.set(U1, healthy(undefined, { authStyle: 'bearer', busy: `/v1/messages answered 429: rate limit for key ${TOKEN}` }));
  await h.load();
  assert.ok(!JSON.stringify(h.engine.status()).includes(TOKEN), `status holds the token: ${h.engine.status().upstreams![0]!.lastError}`);
});

test('every upstream failing while ready: a crash event with reason unreachable, lastCrash set, a notification, backoff', async (t) => {
  const h = harness(t);
  h.probes.set(U1, healthy());
  h.probes.set(U2, healthy());
  await h.load(MODEL);
  await h.next('upstream', (e) => e.url === U2 && e.healthy, `${U2} healthy`);

  h.probes.set(U1, down('connection refused (nothing listens there)'));
  h.probes.set(U2, down('the connection was reset'));
  const crash = await h.next('crash', () => true, 'a crash event');
  assert.equal(crash.reason, 'unreachable');
  assert.equal(crash.model, MODEL);
  assert.match(crash.stderrTail, new RegExp(`${U1}: connection refused`));
  assert.match(crash.stderrTail, new RegExp(`${U2}: the connection was reset`));
  const s = h.engine.status();
  assert.equal(s.state, 'backoff');
  assert.equal(s.lastCrash?.reason, 'unreachable');
  assert.match(s.lastCrash?.detail ?? '', /the connection was reset/);
  assert.equal(h.notes.length, 1);
  assert.match(h.notes[0]!, /no upstream answers/);
});

test('a discovered model is still named when every upstream stops answering', async (t) => {
  const h = harness(t);
  h.probes.set(U1, healthy());
  h.probes.set(U2, down());
  await h.load();
  h.probes.set(U1, down());
  const crash = await h.next('crash', () => true, 'a crash event');
  assert.equal(crash.model, MODEL);
  assert.equal(h.engine.status().model, MODEL);
});

// ── The engine host: a remote load it cannot make leaves the local engine serving ──

interface StubSupervisor { calls: string[]; supervisor: Supervisor }

/** The members of Supervisor that engine-host.ts uses, each recording its call. */
function stubSupervisor(): StubSupervisor {
  const calls: string[] = [];
  const record = (name: string) => async () => { calls.push(name); };
  const stub = {
    kind: { name: 'llama-server' },
    unload: record('unload'), load: record('load'), setContext: record('setContext'), awaitReady: record('awaitReady'),
    reportWedged: record('reportWedged'), shutdown: record('shutdown'),
    view: () => ({ state: 'ready', model: 'local-model', contextWindow: 32768 }),
    status: () => ({ kind: 'llama-server', state: 'ready' }),
  };
  return { calls, supervisor: stub as unknown as Supervisor };
}

function hostWith(t: TestContext, top: Record<string, unknown>): { host: EngineHost; local: StubSupervisor; remote: RemoteEngine; probes: FakeProbes } {
  const config = remoteConfig(t, { tokenFile: tokenFile(t, 0o644) }, top);
  const probes = new FakeProbes(new Changes());
  const remote = new RemoteEngine({ config, log: pino({ level: 'silent' }), emit: () => {}, notifier: { notify() {} }, nextGen: () => 1, probe: probes.probe });
  onCleanup(t, () => remote.shutdown());
  const local = stubSupervisor();
  return { host: new EngineHost(local.supervisor, remote, config), local, remote, probes };
}

test('engine host: a remote load with a token file others can read is refused, and the local engine keeps serving', async (t) => {
  const { host, local, remote, probes } = hostWith(t, { engine: 'llama-server' });
  await assert.rejects(host.load('qwen', { engine: 'remote' }), (err: Error) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.reason, 'engine-failed');
    assert.match(err.message, /can be read by others \(mode 644\)/);
    assert.match(err.data.hint ?? '', /chmod 600/);
    return true;
  });
  assert.deepEqual(local.calls, [], 'the local supervisor was not told to unload');
  assert.equal(host.kindName, 'llama-server');
  assert.equal(host.view().model, 'local-model');
  assert.equal(remote.view().state, 'stopped');
  assert.equal(probes.calls.length, 0);
});

test('engine host: the same refused load while the remote engine is in use marks it failed, with the reason', async (t) => {
  const { host, local, remote } = hostWith(t, { engine: 'remote' });
  await assert.rejects(host.load('qwen'), /can be read by others/);
  assert.deepEqual(local.calls, []);
  const s = remote.status();
  assert.equal(s.state, 'failed');
  assert.match(s.error?.message ?? '', /can be read by others/);
});
