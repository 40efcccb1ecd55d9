// A real `cclocald run` with the stand-in engine: load, status, unload, stop, one daemon per home.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectDaemon } from '../../daemon/protocol/connect.js';
import { homePaths } from '../../daemon/protocol/paths.js';
import type { StatusResult } from '../../daemon/protocol/protocol.js';
import { readPid } from '../../daemon/home.js';
import { isState } from '../helpers/events.js';
import { onCleanup } from '../helpers/temp-home.js';
import { cclocald, DAEMON_MAIN, isAlive, liveEngines, makeHome, recorded, ROOT, runProgram, spawnDaemon, startDaemon } from '../helpers/daemon.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';

test('load brings the engine to ready with the seed argv, the engine env and no Anthropic key', async (t) => {
  const home = makeHome(t, { env: { ANTHROPIC_API_KEY: 'sk-ant-api03-realkey', ANTHROPIC_AUTH_TOKEN: 'sk-ant-oat-token' } });
  const d = await startDaemon(t, home);
  const result = await d.rpc.request('load', { model: 'gemma-light' });
  assert.equal(result.model, GEMMA);
  assert.equal(result.contextWindow, 32768);

  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'ready');
  assert.equal(s.engine.model, GEMMA);
  assert.equal(s.engine.url, result.url);
  assert.ok(s.engine.pid && isAlive(s.engine.pid));
  assert.equal(s.endpoint.url, `http://127.0.0.1:${home.port}`);
  assert.deepEqual(s.engine.memory, { activeGB: 5.25, peakGB: 6.5, cacheGB: 0.75 });

  const start = recorded(home).find((r) => r.event === 'start')!;
  const argv = start.argv as string[];
  const port = new URL(result.url).port;
  assert.deepEqual(argv.slice(0, 4), ['serve', GEMMA, '--port', port]);
  assert.notEqual(port, String(home.port), 'the engine gets its own port; the endpoint port is the daemon\'s');
  for (const flag of ['--enable-auto-tool-choice', '--tool-call-truncation-notice']) assert.ok(argv.includes(flag), flag);
  assert.equal(argv[argv.indexOf('--tool-call-parser') + 1], 'gemma4');
  assert.equal(argv[argv.indexOf('--max-tokens') + 1], '32768');
  assert.deepEqual(start.env, { VLLM_MLX_ENABLE_THINKING: 'false', VLLM_MLX_SIMPLE_ENGINE_LOCK_ADMISSION: 'wait' });

  // The state events a client sees, in order.
  const states = d.events.ofType('state').map((e) => e.to);
  assert.deepEqual(states.slice(-1), ['ready']);
  assert.ok(states.includes('loading') || states.includes('downloading'));
});

test('a second load of the loaded model answers at once without a new engine', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const again = await d.rpc.request('load', { model: 'mlx-community/gemma-4-e4b-it-4bit' });
  assert.equal(again.model, GEMMA);
  assert.equal(recorded(home).filter((r) => r.event === 'start').length, 1);
});

test('loading another model swaps engines: the old one exits, only the new one runs', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const first = await d.rpc.request('load', { model: 'gemma-light' });
  const firstPid = (await d.rpc.request('status')).engine.pid!;
  const second = await d.rpc.request('load', { model: 'coder7b', contextWindow: 16384 });
  assert.equal(second.model, 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit');
  assert.equal(second.contextWindow, 16384);
  assert.notEqual(first.url, '');
  assert.equal(isAlive(firstPid), false);
  assert.equal(liveEngines(home).length, 1);
  // A swap never passes through "stopped": clients can tell it from an unload.
  assert.ok(!d.events.ofType('state').some((e) => e.to === 'stopped'));
});

test('download progress is reported from the HF cache while the engine downloads', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_DOWNLOAD_BYTES: String(4 * 1024 * 1024), FAKE_VLLM_DOWNLOAD_CHUNKS: '8', FAKE_VLLM_DOWNLOAD_CHUNK_MS: '120', FAKE_VLLM_LOAD_MS: '700' } });
  const d = await startDaemon(t, home);
  const loading = d.rpc.request('load', { model: 'gemma-light' });
  // A tick that saw no growth (a busy machine) reports the bytes at rate 0; one that did has both.
  const p = await d.events.next((e) => e.type === 'progress' && e.phase === 'downloading' && e.bytes > 0 && e.rateBps > 0, 'a download progress event with a rate');
  assert.ok(p.type === 'progress' && p.bytes <= 4 * 1024 * 1024);
  await d.events.next((e) => e.type === 'progress' && e.phase === 'loading', 'the loading phase after the download');
  await loading;
  const states = d.events.ofType('state').map((e) => e.to);
  assert.deepEqual(states, ['downloading', 'loading', 'ready']);
  // Now cached: the next daemon start would go straight to loading.
  assert.ok(existsSync(`${home.hfCache}/models--mlx-community--gemma-4-e4b-it-4bit/snapshots/main/config.json`));
});

test('unload stops the engine and reports stopped', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const pid = (await d.rpc.request('status')).engine.pid!;
  await d.rpc.request('unload');
  assert.equal(isAlive(pid), false);
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'stopped');
  assert.equal(s.engine.model, null);
  assert.equal(s.engine.pid, null);
});

test('SIGTERM stops the engine, removes socket and pid file, and exits 0', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  assert.equal(liveEngines(home).length, 1);
  assert.equal(await d.stop('SIGTERM'), 0);
  assert.deepEqual(liveEngines(home), []);
  assert.equal(existsSync(home.paths.socket), false);
  assert.equal(existsSync(home.paths.pid), false);
});

test('the shutdown method stops the daemon like SIGTERM, even with an engine that ignores SIGTERM', async (t) => {
  const home = makeHome(t, { config: { stopGraceMs: 300 }, env: { FAKE_VLLM_IGNORE_SIGTERM: '1' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const exited = once(d.proc, 'exit');
  assert.deepEqual(await d.rpc.request('shutdown'), { stopping: true });
  const [code] = await exited;
  assert.equal(code, 0);
  assert.deepEqual(liveEngines(home), []);
  assert.equal(existsSync(home.paths.socket), false);
});

test('the socket is 0600 in a 0700 home', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  assert.equal(statSync(home.paths.socket).mode & 0o777, 0o600);
  assert.equal(statSync(home.paths.home).mode & 0o777, 0o700);
});

test('a second daemon on the same home exits 1 naming the running pid', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const second = spawnDaemon(home);
  const [code] = await once(second, 'exit');
  assert.equal(code, 1);
  assert.match(second.output(), new RegExp(`already running \\(pid ${d.proc.pid}\\)`));
  assert.equal((await d.rpc.request('status')).daemon.pid, d.proc.pid, 'the first daemon is untouched');
});

test('a stale pid file and socket from a dead daemon are cleaned up', async (t) => {
  const home = makeHome(t);
  const dead = spawnSync(process.execPath, ['-e', '']).pid; // a real pid that no longer exists
  writeFileSync(home.paths.pid, `${dead}\n`);
  writeFileSync(home.paths.socket, ''); // a leftover file where the socket goes
  const d = await startDaemon(t, home);
  assert.equal(readFileSync(home.paths.pid, 'utf8').trim(), String(d.proc.pid));
  assert.equal((await d.rpc.request('status')).daemon.pid, d.proc.pid);
});

test('cclocald status answers with the contract fields, and exits 1 with a hint when no daemon runs', async (t) => {
  const home = makeHome(t);
  const none = await cclocald(home, 'status');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /not running/);
  assert.match(none.stderr, /cclocald start/);

  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const json = await cclocald(home, 'status', '--json');
  assert.equal(json.code, 0);
  const s = JSON.parse(json.stdout) as StatusResult;
  assert.equal(s.daemon.pid, d.proc.pid);
  assert.equal(typeof s.daemon.version, 'string');
  assert.equal(typeof s.daemon.uptimeS, 'number');
  for (const k of ['state', 'model', 'contextWindow', 'pid', 'url', 'restarts', 'lastCrash'] as const) assert.ok(k in s.engine, k);
  const human = await cclocald(home, 'status');
  assert.equal(human.code, 0);
  assert.match(human.stdout, /engine\s+vllm-mlx\s+ready\s+mlx-community\/gemma-4-e4b-it-4bit\s+context 32768 tokens/);
});

test('cclocald start runs a detached daemon and stop ends it with its engine', async (t) => {
  const home = makeHome(t);
  const started = await cclocald(home, 'start');
  onCleanup(t, async () => {
    const pid = readPid(home.paths.pid);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const e of liveEngines(home)) process.kill(-e, 'SIGKILL');
  });
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /cclocald started \(pid \d+\)/);
  const rpc = await connectDaemon(home.paths.socket);
  await rpc.request('load', { model: 'gemma-light' });
  rpc.close();
  const loaded = await cclocald(home, 'load', 'gemma-light');
  assert.match(loaded.stdout, /ready: mlx-community\/gemma-4-e4b-it-4bit/);
  const stopped = await cclocald(home, 'stop');
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(liveEngines(home), []);
  assert.equal(existsSync(home.paths.pid), false);
});

test('setContext is kept for the model and reported by status', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  assert.deepEqual(await d.rpc.request('setContext', { contextWindow: 20000 }), { model: GEMMA, contextWindow: 20000 });
  assert.equal((await d.rpc.request('status')).engine.contextWindow, 20000);
  await d.rpc.request('unload');
  const again = await d.rpc.request('load', { model: 'gemma-light' });
  assert.equal(again.contextWindow, 20000);
});

test('after a restart the daemon loads the last model again', async (t) => {
  const home = makeHome(t);
  const d1 = await startDaemon(t, home);
  await d1.rpc.request('load', { model: 'gemma-light' });
  d1.rpc.close();
  assert.equal(await d1.stop(), 0);
  const d2 = await startDaemon(t, home);
  const s = await d2.rpc.request('status');
  if (s.engine.state !== 'ready') await d2.events.next(isState('ready'), 'the remembered model ready again');
  assert.equal((await d2.rpc.request('status')).engine.model, GEMMA);
});

test('cclocald logs prints the daemon log, and --engine the engine log of the current run', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const daemonLog = await cclocald(home, 'logs');
  assert.equal(daemonLog.code, 0);
  assert.match(daemonLog.stdout, /"msg":"engine ready"/);
  const engineLog = await cclocald(home, 'logs', '--engine');
  assert.match(engineLog.stdout, /Loading model: mlx-community\/gemma-4-e4b-it-4bit/);
  assert.match(engineLog.stdout, /Uvicorn running on http:\/\/127\.0\.0\.1:\d+/);
});

test('a planted Anthropic key never reaches the engine or a log', async (t) => {
  const key = 'sk-ant-api03-PLANTED-never-leak-0123456789';
  const home = makeHome(t, { env: { ANTHROPIC_API_KEY: key } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  await d.stop();
  for (const f of [home.paths.daemonLog, home.paths.engineLog, home.record]) {
    assert.ok(!readFileSync(f, 'utf8').includes(key), `${f} holds the key`);
  }
});

test('cclocald logs -f --engine follows the engine log across the rotation at a restart', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const follower = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon', 'main.ts'), 'logs', '-f', '--engine'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { follower.kill(); });
  let out = '';
  // A deadline, so a follower that missed the rotation fails the test instead of stalling the suite.
  const seen = (re: RegExp) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { follower.stdout.off('data', onData); reject(new Error(`not seen in 20 s: ${re}; the follower printed: ${out}`)); }, 20_000);
    const check = () => { if (re.test(out)) { clearTimeout(timer); follower.stdout.off('data', onData); resolve(); } };
    const onData = (c: Buffer) => { out += c; check(); };
    follower.stdout.on('data', onData);
    check();
  });
  await seen(/Uvicorn running/);
  const pid = (await d.rpc.request('status')).engine.pid!;
  process.kill(pid, 'SIGKILL');
  await d.events.next((e) => e.type === 'state' && e.to === 'ready', 'the restarted engine');
  // The new engine.log starts over; the follower prints its banner a second time.
  await seen(/Uvicorn running[\s\S]*Uvicorn running/);
});

test('a full disk under the daemon log drops log lines, not the daemon: it loads, answers, and stops on SIGTERM', { skip: !existsSync('/dev/full') && 'no /dev/full here' }, async (t) => {
  const home = makeHome(t);
  mkdirSync(home.paths.logsDir, { mode: 0o700 });
  symlinkSync('/dev/full', home.paths.daemonLog); // every write fails with ENOSPC
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  assert.equal((await d.rpc.request('status')).engine.state, 'ready');
  assert.equal(await d.stop(), 0, d.output());
  assert.deepEqual(d.output().match(/cannot write \S*daemon\.log \(ENOSPC\)/g), [`cannot write ${home.paths.daemonLog} (ENOSPC)`], 'said once, on stderr');
  assert.equal(liveEngines(home).length, 0);
});

// Issue #11, item 4: a home another user could change is refused before anything is read or
// written there, in words, with the fix (no stack trace).
/** `cclocald run` that must refuse to start: a deadline, so a daemon that starts anyway fails the test. */
const refusedRun = (env: NodeJS.ProcessEnv) => runProgram(process.execPath, ['--import', 'tsx', DAEMON_MAIN, 'run'], { env, timeoutMs: 30_000 });

test('a home writable by all (0777) or by its group (0770), or a symlink to one, is refused with the reason and the fix', async (t) => {
  const home = makeHome(t);
  for (const [mode, who] of [[0o777, 'its group and all users'], [0o770, 'its group']] as const) {
    chmodSync(home.paths.home, mode);
    const r = await refusedRun(home.env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^cclocald: ${home.paths.home} is writable by ${who} \\(mode 0${mode.toString(8)}\\), who could plant the files cclocal runs; check what is in it, then \`chmod 700 ${home.paths.home}\``));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(statSync(home.paths.home).mode & 0o777, mode, 'left as it was: refused, not silently tightened');
    assert.equal(existsSync(home.paths.logsDir), false, 'nothing was written there');
  }
  const link = join(home.dir, 'link');
  symlinkSync(home.paths.home, link);
  const viaLink = await refusedRun({ ...home.env, CCLOCAL_HOME: link });
  assert.equal(viaLink.code, 1);
  assert.match(viaLink.stderr, new RegExp(`${home.paths.home} is writable by its group`), 'the target is judged');
});

test('a fresh home is created 0700, and an existing one of ours that others may read is tightened to 0700', async (t) => {
  const base = makeHome(t);
  const fresh = join(base.dir, 'new', 'h');
  const home = { ...base, paths: homePaths(fresh), env: { ...base.env, CCLOCAL_HOME: fresh } };
  await startDaemon(t, home);
  assert.equal(statSync(fresh).mode & 0o777, 0o700);
  const readable = makeHome(t);
  chmodSync(readable.paths.home, 0o755);
  await startDaemon(t, readable);
  assert.equal(statSync(readable.paths.home).mode & 0o777, 0o700);
});

test('a home that cannot be created is refused in words, not with a stack trace', async (t) => {
  const base = makeHome(t);
  const file = join(base.dir, 'a-file');
  writeFileSync(file, '');
  const homes: Array<[string, RegExp]> = [[join(file, 'h'), /cannot create \S+a-file\/h \(a file stands where a folder must be\)/]];
  // Root writes anywhere: an unwritable folder only stops another user.
  if (process.getuid!() !== 0) {
    const locked = join(base.dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    homes.push([join(locked, 'h'), /cannot create \S+locked\/h \(permission denied\)/]);
  }
  for (const [dir, want] of homes) {
    const r = await refusedRun({ ...base.env, CCLOCAL_HOME: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, want);
    assert.match(r.stderr, /set CCLOCAL_HOME to a folder you can write/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const viaStart = await cclocald({ ...base, env: { ...base.env, CCLOCAL_HOME: dir } }, 'start');
    assert.equal(viaStart.code, 1);
    assert.match(viaStart.stderr, want);
    assert.doesNotMatch(viaStart.stderr, /\n\s+at /, '`cclocald start` says it the same way');
  }
});

test('a symlink planted at attach.sh.tmp is not followed: the file it points to keeps its content', async (t) => {
  const home = makeHome(t);
  const victim = join(home.dir, 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, `${home.paths.attachScript}.tmp`);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.ok(lstatSync(home.paths.attachScript).isFile(), 'attach.sh is a file of its own, not the planted link');
  assert.match(readFileSync(home.paths.attachScript, 'utf8'), /ANTHROPIC_BASE_URL/);
});

// Issue #11, item 11: only a cclocald of this home counts as booting.
test('a fresh pid file naming a live process that is no cclocald does not hold the start; a booting cclocald of this home does', async (t) => {
  const home = makeHome(t);
  const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  onCleanup(t, () => { stranger.kill('SIGKILL'); });
  writeFileSync(home.paths.pid, `${stranger.pid}\n`); // just written: as young as a booting daemon's
  const d = await startDaemon(t, home);
  assert.equal((await d.rpc.request('status')).daemon.pid, d.proc.pid);
  assert.ok(isAlive(stranger.pid!), 'the stranger was left alone');
  d.rpc.close();
  assert.equal(await d.stop(), 0);

  // A cclocald of this home that has not opened its socket yet: its argv and CCLOCAL_HOME say so.
  const booting = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', join(ROOT, 'daemon', 'main.ts'), 'run'], { stdio: 'ignore', env: { ...home.env } });
  onCleanup(t, () => { booting.kill('SIGKILL'); });
  writeFileSync(home.paths.pid, `${booting.pid}\n`);
  const second = spawnDaemon(home);
  const [code] = await once(second, 'exit');
  assert.equal(code, 1);
  assert.match(second.output(), new RegExp(`already running \\(pid ${booting.pid}\\)`));
});

test('a load waiting when the daemon stops is told "cclocald is shutting down", not that the connection was lost', async (t) => {
  const home = makeHome(t);
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = join(home.dir, 'never'); // the load stays in progress
  const d = await startDaemon(t, home);
  const loading = d.rpc.request('load', { model: 'gemma-light' }).then(() => 'loaded', (err: Error) => err.message);
  await d.events.next(isState('loading'), 'the engine loading');
  d.proc.kill('SIGTERM');
  assert.equal(await loading, 'cclocald is shutting down');
});
