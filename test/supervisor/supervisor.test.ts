// The supervisor alone, driven through its dependencies: a fake engine kind and fake engine
// processes whose readiness and death the test decides (llama-swap's fakeEffects). No process is
// spawned; every wait is on an event the supervisor emits or a spawn it asks for.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { loadConfig, type Config } from '../../daemon/config.js';
import type { EngineExit, EngineHandle, EngineSpec } from '../../daemon/engine/engine-process.js';
import type { EngineCapabilities, EngineKind } from '../../daemon/engine/kind.js';
import { resolveModel } from '../../common/catalog.js';
import type { DaemonEvent } from '../../daemon/protocol/protocol.js';
import { loadState } from '../../daemon/state-store.js';
import { Supervisor } from '../../daemon/supervisor/supervisor.js';
import { tempDir } from '../helpers/temp-home.js';

/** An engine process that becomes ready or dies when the test says so. */
class FakeProcess implements EngineHandle {
  readonly exited: Promise<EngineExit>;
  readonly healthy: Promise<void>;
  stops = 0;
  #exit!: (e: EngineExit) => void;
  #ready!: () => void;
  constructor(readonly pid: number, readonly spec: EngineSpec) {
    this.exited = new Promise((r) => { this.#exit = r; });
    this.healthy = new Promise((r) => { this.#ready = r; });
  }
  becomeReady(): void { this.#ready(); }
  die(logTail = '', signal: string | null = 'SIGKILL'): void { this.#exit({ exitCode: null, signal, logTail }); }
  async stop(): Promise<EngineExit> {
    this.stops++;
    this.die('', 'SIGTERM');
    return this.exited;
  }
  /** The window the fake kind put in its argv. */
  get window(): number { return Number(this.spec.argv[this.spec.argv.indexOf('--ctx') + 1]); }
}

/** An engine kind with no executable to find and no process of its own: OOM is the word "OOM". */
const fakeKind: EngineKind = {
  name: 'llama-server',
  find: () => ({ found: true, bin: '/fake/engine', source: 'env' }),
  helpArgs: [],
  capabilitiesFromHelp: () => ({ flags: new Set(), toolParsers: null, foreign: false }),
  windowAtStart: false,
  streamsPromptTokens: false,
  resolveModel: (ref) => resolveModel(ref, 'vllm-mlx'),
  unknownModelHint: () => 'a fake hint',
  launch: (i) => ({ argv: ['--model', i.model.id, '--port', String(i.port), '--ctx', String(i.contextWindow)], env: {}, keyed: false }),
  engineEnv: () => ({}),
  healthPath: '/health',
  isReady: () => true,
  outOfMemory: (tail) => (tail.includes('OOM') ? 'alloc-oom' : null),
  readMemory: async () => null,
  isOwnLeftover: () => false,
  downloads: () => ({ dir: null, cached: true, isWriting: () => false }),
  checkWindow: async () => null,
  overflow: () => null,
};

interface Rig {
  sup: Supervisor;
  events: DaemonEvent[];
  /** The next engine process the supervisor starts (or one it already started). */
  nextSpawn(): Promise<FakeProcess>;
  /** The next event of `type` (searching those not yet consumed). */
  next<T extends DaemonEvent['type']>(type: T, pred?: (e: Extract<DaemonEvent, { type: T }>) => boolean): Promise<Extract<DaemonEvent, { type: T }>>;
  spawned: FakeProcess[];
}

type Caps = (kind: EngineKind) => EngineCapabilities;
const plainCaps: Caps = () => ({ flags: new Set(), toolParsers: null, foreign: false });

function rig(t: TestContext, tunables: Partial<Config> = {}, engines: (name: string) => EngineKind = () => fakeKind, caps: Caps = plainCaps): Rig {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'h'), { mode: 0o700 });
  const base = loadConfig({ CCLOCAL_HOME: join(dir, 'h'), HOME: dir, CCLOCAL_ENGINE: 'llama-server', PATH: '' });
  const config: Config = { ...base, backoffBaseMs: 1, backoffMaxMs: 2, crashLoopMax: 3, stopGraceMs: 100, healthPollMs: 5, memoryPollMs: 60_000, ...tunables };
  const events: DaemonEvent[] = [];
  let seen = 0;
  const listeners = new Set<() => void>();
  const spawned: FakeProcess[] = [];
  let taken = 0;
  const spawnWaiters: Array<() => void> = [];
  const sup = new Supervisor({
    config, log: pino({ level: 'silent' }), notifier: { notify: () => undefined }, persisted: loadState(config.paths.state),
    emit: (e) => { events.push({ ...e, at: new Date().toISOString() } as DaemonEvent); for (const l of listeners) l(); },
    engines,
    spawn: (spec) => {
      const p = new FakeProcess(1000 + spawned.length, spec);
      spawned.push(p);
      for (const w of spawnWaiters.splice(0)) w();
      return p;
    },
    plan: { capabilities: async (kind) => caps(kind) },
    // The fake pids may be real processes of the machine: never ask the system about them.
    startStamp: async (pid) => `fake-${pid}`,
  });
  t.after(() => sup.shutdown());
  const nextSpawn = async (): Promise<FakeProcess> => {
    while (spawned.length <= taken) await new Promise<void>((r) => spawnWaiters.push(r));
    return spawned[taken++]!;
  };
  const next = <T extends DaemonEvent['type']>(type: T, pred: (e: Extract<DaemonEvent, { type: T }>) => boolean = () => true) =>
    new Promise<Extract<DaemonEvent, { type: T }>>((resolve) => {
      const look = () => {
        for (; seen < events.length; seen++) {
          const e = events[seen]!;
          if (e.type === type && pred(e as Extract<DaemonEvent, { type: T }>)) { seen++; listeners.delete(look); resolve(e as Extract<DaemonEvent, { type: T }>); return; }
        }
      };
      listeners.add(look);
      look();
    });
  return { sup, events, nextSpawn, next, spawned };
}

const isTo = (to: string) => (e: { to: string }) => e.to === to;

test('a second load during a load replaces it: the first caller hears why, the second gets its model', async (t) => {
  const r = rig(t);
  const first = r.sup.load('gemma-light');
  const a = await r.nextSpawn();
  const second = r.sup.load('coder');
  await assert.rejects(first, /replaced by a load of mlx-community\/Qwen3-Coder/);
  assert.equal(a.stops, 1, 'the first engine was stopped');
  const b = await r.nextSpawn();
  b.becomeReady();
  assert.equal((await second).model, 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit');
  assert.equal(r.sup.status().model, 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit');
  assert.equal(r.sup.status().kind, 'llama-server');
});

test('a wedge report about an engine already replaced is ignored', async (t) => {
  const r = rig(t);
  const loading = r.sup.load('gemma-light');
  const a = await r.nextSpawn();
  a.becomeReady();
  await loading;
  await r.next('state', (e) => e.to === 'ready');
  const staleGen = (await r.sup.awaitReady()).gen;
  a.die('');
  const b = await r.nextSpawn();
  b.becomeReady();
  await r.next('state', (e) => e.to === 'ready' && r.spawned.length === 2);
  await r.sup.reportWedged(staleGen, 'no token for 120 s');
  assert.equal(b.stops, 0, 'the running engine was left alone');
  assert.equal(r.sup.status().state, 'ready');
  assert.equal(r.sup.status().lastCrash?.reason, 'signal', 'the only crash is the real one');
});

test('an unload during the backoff cancels the restart and leaves nothing loaded', async (t) => {
  const r = rig(t, { backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
  const loading = r.sup.load('gemma-light');
  const a = await r.nextSpawn();
  a.becomeReady();
  await loading;
  a.die(''); // the first crash restarts at once: let it, and crash again to reach a backoff
  const b = await r.nextSpawn();
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the 60 s backoff passes when the test says
  b.die('');
  await r.next('state', isTo('backoff'));
  await r.sup.unload();
  assert.equal(r.sup.status().state, 'stopped');
  t.mock.timers.tick(120_000); // past the backoff: nothing may start
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(r.spawned.length, 2, 'no engine was started after the unload');
  await assert.rejects(r.sup.awaitReady(), /no model is loaded/);
});

test('an out-of-memory crash halves the window, and the restart runs with the halved one', async (t) => {
  const r = rig(t);
  const loading = r.sup.load('gemma-light', { contextWindow: 32768 });
  const a = await r.nextSpawn();
  assert.equal(a.window, 32768);
  a.becomeReady();
  await loading;
  a.die('ggml: OOM while allocating', 'SIGABRT');
  const shrunk = await r.next('contextShrunk');
  assert.deepEqual([shrunk.from, shrunk.to], [32768, 16384]);
  const b = await r.nextSpawn();
  assert.equal(b.window, 16384, 'the engine was started again with half the window');
  b.becomeReady();
  await r.next('state', (e) => e.to === 'ready' && r.spawned.length === 2);
  assert.equal(r.sup.status().contextWindow, 16384);
  assert.equal(r.sup.status().lastCrash?.reason, 'alloc-oom');
  assert.equal((await r.sup.awaitReady()).contextWindow, 16384, 'the endpoint enforces the halved window');
});

test('after crashLoopMax crashes the supervisor gives up with the reason, and the load caller hears it', async (t) => {
  const r = rig(t, { crashLoopMax: 3 });
  const loading = r.sup.load('gemma-light');
  for (let i = 0; i < 3; i++) (await r.nextSpawn()).die('Traceback: bad weights', null);
  await assert.rejects(loading, /crashed 3 times .* it will not be restarted \(last crash: startup-error\)/);
  const failed = await r.next('failed');
  assert.match(failed.message, /crashed 3 times/);
  assert.equal(r.sup.status().state, 'failed');
  assert.equal(r.spawned.length, 3, 'no fourth start');
  await assert.rejects(r.sup.awaitReady(), /crashed 3 times/);
});

test('a load naming an engine that cannot be found is refused, and what was serving goes on serving', async (t) => {
  const missing: EngineKind = { ...fakeKind, name: 'vllm-mlx', find: () => ({ found: false, searched: ['/nowhere/vllm-mlx'], hint: 'install it' }) };
  const r = rig(t, {}, (name) => (name === 'vllm-mlx' ? missing : fakeKind));
  const loading = r.sup.load('gemma-light');
  (await r.nextSpawn()).becomeReady();
  await loading;
  await assert.rejects(r.sup.load('gemma-light', { engine: 'vllm-mlx' }), (err: Error & { data?: { reason?: string; hint?: string } }) => {
    assert.match(err.message, /vllm-mlx not found \(looked at \/nowhere\/vllm-mlx\)/);
    assert.deepEqual([err.data?.reason, err.data?.hint], ['engine-missing', 'install it']);
    return true;
  });
  assert.equal(r.sup.status().state, 'ready');
  assert.equal(r.sup.status().kind, 'llama-server');
  assert.equal(r.spawned[0]!.stops, 0, 'the running engine was not stopped');
});

test('a new window for a kind that sizes its memory by it restarts the engine with that window; for vllm-mlx it does not', async (t) => {
  const sized: EngineKind = { ...fakeKind, windowAtStart: true };
  const r = rig(t, {}, () => sized);
  const loading = r.sup.load('gemma-light', { contextWindow: 32768 });
  const a = await r.nextSpawn();
  a.becomeReady();
  await loading;
  await r.sup.setContext(16384);
  assert.equal(a.stops, 1, 'the engine started with 32768 was stopped');
  const b = await r.nextSpawn();
  assert.equal(b.window, 16384);
  b.becomeReady();
  // A load of the same model with another window is a restart too, not "already warm".
  const again = r.sup.load('gemma-light', { contextWindow: 65536 });
  const c = await r.nextSpawn();
  assert.equal(c.window, 65536);
  c.becomeReady();
  assert.equal((await again).contextWindow, 65536);
  const flat = rig(t);
  const l2 = flat.sup.load('gemma-light');
  (await flat.nextSpawn()).becomeReady();
  await l2;
  await flat.sup.setContext(16384);
  assert.equal(flat.spawned.length, 1, 'the endpoint alone enforces a vllm-mlx window');
});

test("an executable whose --help is another program's is refused before anything is stopped", async (t) => {
  const other = { ...fakeKind, name: 'vllm-mlx' as const };
  const r = rig(t, {}, (name) => (name === 'vllm-mlx' ? other : fakeKind), (kind) => ({ flags: new Set(), toolParsers: null, foreign: kind.name === 'vllm-mlx' }));
  const loading = r.sup.load('gemma-light');
  (await r.nextSpawn()).becomeReady();
  await loading;
  await assert.rejects(r.sup.load('gemma-light', { engine: 'vllm-mlx' }), /\/fake\/engine is not vllm-mlx \(its --help is another program's\)/);
  assert.deepEqual([r.sup.status().state, r.sup.status().kind, r.spawned[0]!.stops], ['ready', 'llama-server', 0]);
});
