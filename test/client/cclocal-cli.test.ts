// cclocal's own behaviour around Claude Code: which model it attaches, the memory safeguard when
// not on a terminal, and the cache commands.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isState } from '../helpers/events.js';
import { cclocald, CLAUDE_UNDER_TEST, FIXTURE_BIN, isAlive, makeHome, recorded, ROOT, runProgram, startDaemon, type TestHome } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const CCLOCAL = join(ROOT, 'bin', 'cclocal');
const GiB = 1024 ** 3;

function cclocal(t: TestContext, home: TestHome, args: string[]) {
  onCleanup(t, () => cclocald(home, 'stop'));
  mkdirSync(join(home.dir, 'userhome'), { recursive: true });
  return runProgram(CCLOCAL, args, { cwd: home.dir, env: { ...home.env, HOME: join(home.dir, 'userhome'), CCLOCAL_CLAUDE_BIN: CLAUDE_UNDER_TEST } });
}

test('with no model flag and no terminal, cclocal attaches to the model that is loaded', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_SCRIPT: '[]' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'coder7b' });
  const r = await cclocal(t, home, ['--out-tokens', '9000', '--', '-p', 'hi']); // a flag: the Node path
  assert.equal(r.code, 0, r.stderr);
  const reqs = recorded(home).filter((x) => x.event === 'request');
  assert.ok(reqs.length > 0 && reqs.every((x) => x.model === 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit'));
  assert.equal(recorded(home).filter((x) => x.event === 'start').length, 1, 'no second engine, no swap');
});

test('a tight model outside a terminal gets the recommended context shrink, which the daemon keeps', async (t) => {
  const home = makeHome(t, { config: { platform: 'darwin' }, env: { FAKE_SYSCTL_HW_MEMSIZE: String(24 * GiB), FAKE_SYSCTL_IOGPU_WIRED_LIMIT_MB: '0', FAKE_VLLM_SCRIPT: '[]' } });
  const d = await startDaemon(t, home);
  const r = await cclocal(t, home, ['--gemma', '--', '-p', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Tight memory\s+~16GB model, GPU budget ~18GB → ~2GB for KV cache/);
  assert.match(r.stderr, /Non-interactive — applying recommended/);
  const s = await d.rpc.request('status');
  assert.equal(s.engine.model, 'mlx-community/gemma-4-26b-a4b-it-4bit');
  assert.equal(s.engine.contextWindow, 16384);
});

test('a tight model loaded afresh again keeps the recommended window instead of halving it once more', async (t) => {
  // A floor far below the window, so that halving again could happen (the default floor is half the default).
  const home = makeHome(t, { config: { platform: 'darwin', contextFloor: 4096 }, env: { FAKE_SYSCTL_HW_MEMSIZE: String(24 * GiB), FAKE_SYSCTL_IOGPU_WIRED_LIMIT_MB: '0', FAKE_VLLM_SCRIPT: '[]' } });
  const d = await startDaemon(t, home);
  for (const round of [1, 2, 3]) {
    const r = await cclocal(t, home, ['--gemma', '--', '-p', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Tight memory/);
    assert.equal((await d.rpc.request('status')).engine.contextWindow, 16384, `load ${round}: half the default, not half the last shrink`);
    if (round > 1) assert.match(r.stderr, /already shrunk; keeping it/);
    // Says so, and how to raise it, before Claude Code starts.
    assert.match(r.stderr, /⚠ context window 16384 tokens, below this model's default of 32768; to raise it: cclocald load mlx-community\/gemma-4-26b-a4b-it-4bit --ctx 32768/);
    await d.rpc.request('unload'); // the next cclocal loads it afresh, through the preflight again
  }
});

test('--no-mem-check skips the preflight', async (t) => {
  const home = makeHome(t, { config: { platform: 'darwin' }, env: { FAKE_SYSCTL_HW_MEMSIZE: String(24 * GiB), FAKE_VLLM_SCRIPT: '[]' } });
  const d = await startDaemon(t, home);
  const r = await cclocal(t, home, ['--gemma', '--no-mem-check', '--', '-p', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Tight memory/);
  assert.equal((await d.rpc.request('status')).engine.contextWindow, 32768);
});

test('--list shows every cached model with its size and flag; --rm refuses without a terminal', async (t) => {
  const home = makeHome(t);
  for (const [id, bytes] of [['mlx-community/gemma-4-e4b-it-4bit', 3 * 1024 * 1024], ['someone/Other-Model', 2048]] as const) {
    const dir = join(home.hfCache, `models--${id.replace('/', '--')}`, 'blobs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blob'), Buffer.alloc(bytes));
  }
  const list = await cclocal(t, home, ['--list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /1 {2}mlx-community\/gemma-4-e4b-it-4bit\s+3M \(--gemma-light\)/);
  assert.match(list.stdout, /2 {2}someone\/Other-Model\s+2K/);
  assert.match(list.stdout, /Total cache size: 3M/);
  const rm = await cclocal(t, home, ['--rm']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /--rm needs a terminal/);
});

test('when the daemon cannot start, cclocal says why at once, with only what that start wrote', async (t) => {
  const home = makeHome(t);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(home.port, '127.0.0.1', r));
  t.after(() => blocker.close());
  // An earlier run's log: none of it explains this start (issue #11 printed 20 lines of it).
  mkdirSync(home.paths.logsDir, { mode: 0o700 });
  writeFileSync(home.paths.daemonLog, Array.from({ length: 30 }, (_, i) => `{"level":30,"msg":"an older run, line ${i}"}\n`).join(''));
  // The daemon gives up within a second; the start wait (20 s) must end with its exit, so this
  // deadline, generous for three Node starts on a busy machine, is one the old wait missed.
  const r = await runProgram(CCLOCAL, ['--gemma-light', '--', '-p', 'hi'], { cwd: home.dir, env: { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude') }, timeoutMs: 15_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`cclocald exited with code 1: cannot listen on 127\\.0\\.0\\.1:${home.port}: the port is in use`));
  assert.match(r.stderr, /\(its log: .*daemon\.log\)/);
  assert.doesNotMatch(r.stderr, /an older run/);
  assert.doesNotMatch(r.stderr, /^\{"level"/m, 'the daemon\'s own message, not its JSON log');
});

test('a failed engine is reported with the crash reason and the fix', async (t) => {
  const home = makeHome(t, { config: { crashLoopMax: 2 }, env: { FAKE_VLLM_STARTUP_FAIL: 'always' } });
  const r = await cclocal(t, home, ['--gemma-light', '--', '-p', 'hi']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cclocal: the engine crashed 2 times in the last 10 minutes; it will not be restarted \(last crash: startup-error\)/);
  assert.match(r.stderr, /hint: read `cclocald logs --engine`/);
});

test("claude's exit status is cclocal's, on the Node path and on the warm path", async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const fake = join(FIXTURE_BIN, 'fake-claude');
  const env = { ...home.env, CCLOCAL_CLAUDE_BIN: fake, FAKE_CLAUDE_EXIT: '3' };
  const viaNode = await runProgram(CCLOCAL, ['--gemma-light', '--', '-p', 'x'], { env });
  assert.equal(viaNode.code, 3, viaNode.stderr);
  assert.match(viaNode.stdout, /fake claude ran/);
  const warm = await runProgram(CCLOCAL, ['--', '-p', 'x'], { env });
  assert.equal(warm.code, 3, warm.stderr);
});

test('Ctrl-C while the model loads leaves cclocal at once and the daemon loading on to ready', async (t) => {
  const home = makeHome(t);
  const go = join(home.dir, 'finish-loading');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = go;
  const d = await startDaemon(t, home);
  const fake = join(FIXTURE_BIN, 'fake-claude');
  // Its own process group, as a terminal's foreground job: Ctrl-C reaches every process in it.
  const proc = spawn(CCLOCAL, ['--gemma-light', '--', '-p', 'x'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: fake }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const exited = once(proc, 'exit');
  await d.events.next(isState('loading'), 'the engine loading for cclocal');
  process.kill(-proc.pid!, 'SIGINT');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 130, out);
  assert.match(out, /cclocald keeps loading in the background; run cclocal again to attach/);
  assert.doesNotMatch(out, /fake claude ran/);
  const during = await d.rpc.request('status');
  assert.equal(during.engine.state, 'loading');
  assert.ok(during.engine.pid && isAlive(during.engine.pid), 'the engine was not touched');
  writeFileSync(go, '');
  await d.events.next(isState('ready'), 'the load to finish without cclocal');
});

test('credentials and cloud switches in the caller\'s environment never reach claude, on the Node path or the warm path', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const rec = join(home.dir, 'claude-env.jsonl');
  const leaks = {
    ANTHROPIC_API_KEY: 'sk-ant-api03-LEAKED', ANTHROPIC_AUTH_TOKEN: 'sk-ant-oat01-LEAKED', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-LEAKED',
    ANTHROPIC_CUSTOM_HEADERS: 'x-proxy-auth: LEAKED', CLAUDE_CODE_USE_BEDROCK: '1', CLAUDE_CODE_USE_VERTEX: '1',
  };
  const env = { ...home.env, ...leaks, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude'), FAKE_CLAUDE_RECORD: rec };
  assert.equal((await runProgram(CCLOCAL, ['--gemma-light', '--', '-p', 'x'], { env })).code, 0);
  assert.equal((await runProgram(CCLOCAL, ['--', '-p', 'x'], { env })).code, 0);
  const runs = readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { env: Record<string, string> });
  assert.equal(runs.length, 2, 'both paths ran claude');
  for (const run of runs) {
    assert.ok(!JSON.stringify(run.env).includes('LEAKED'), JSON.stringify(run.env));
    assert.equal(run.env.CLAUDE_CODE_USE_BEDROCK, undefined);
    assert.equal(run.env.CLAUDE_CODE_USE_VERTEX, undefined);
    assert.equal(run.env.ANTHROPIC_AUTH_TOKEN, 'not-needed');
    assert.equal(run.env.ANTHROPIC_BASE_URL, `http://127.0.0.1:${home.port}`);
  }
});

test('a SIGTERM to cclocal reaches claude, and cclocal then dies of the same signal', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const proc = spawn(CCLOCAL, ['--gemma-light', '--', '-p', 'x'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude'), FAKE_CLAUDE_WAIT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(proc, 'exit');
  let out = '';
  await new Promise<void>((resolve) => proc.stdout.on('data', (c) => { out += c; if (out.includes('fake claude waiting')) resolve(); }));
  proc.kill('SIGTERM'); // cclocal only, not its process group
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' });
});

// Issue #11, item 4: the warm path sources only what this user alone can write.
test('the warm path never sources an attach.sh that its group can write, nor one in a home others can write', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  appendFileSync(home.paths.attachScript, 'echo planted-code-ran\n');
  const env = { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude') };
  const sourced = await runProgram(CCLOCAL, ['--', '-p', 'x'], { env });
  assert.match(sourced.stdout, /planted-code-ran/, 'a file of the user\'s own is sourced (the arrangement works)');

  chmodSync(home.paths.attachScript, 0o620);
  const r = await runProgram(CCLOCAL, ['--', '-p', 'x'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /planted-code-ran/);
  assert.match(r.stdout, /fake claude ran/, 'the Node client attached claude instead');
  assert.match(r.stderr, /not sourcing it: \S+attach\.sh is writable by its group \(mode 0620\)/);

  chmodSync(home.paths.attachScript, 0o600);
  chmodSync(home.paths.home, 0o770);
  onCleanup(t, () => chmodSync(home.paths.home, 0o700));
  const open = await runProgram(CCLOCAL, ['--', '-p', 'x'], { env });
  assert.equal(open.code, 1);
  assert.doesNotMatch(open.stdout, /planted-code-ran|fake claude ran/);
  assert.match(open.stderr, new RegExp(`cclocal: ${home.paths.home} is writable by its group \\(mode 0770\\)`));
});

// Issue #11, item 11: `kill -0` alone took any process that got the dead daemon's pid for it.
test('after a hard daemon death whose pid went to another process, cclocal starts cclocald instead of attaching to the dead endpoint', async (t) => {
  const home = makeHome(t);
  onCleanup(t, () => cclocald(home, 'stop'));
  // What a daemon killed with SIGKILL long ago leaves: attach.sh, its pid file, its socket file.
  writeFileSync(home.paths.attachScript, 'echo stale-attach-sourced\n', { mode: 0o600 });
  const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  onCleanup(t, () => { stranger.kill('SIGKILL'); });
  writeFileSync(home.paths.pid, `${stranger.pid}\n`);
  const longAgo = new Date(Date.now() - 3600_000);
  utimesSync(home.paths.pid, longAgo, longAgo);
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(home.paths.socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.ok(statSync(home.paths.socket).isSocket(), 'a dead socket is left');
  const r = await runProgram(CCLOCAL, ['--', '-p', 'x'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude') } });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /stale-attach-sourced/);
  assert.match(r.stderr, /Starting cclocald/);
  assert.match(r.stdout, /fake claude ran/);
  assert.ok(isAlive(stranger.pid!), 'the stranger was left alone');
});
