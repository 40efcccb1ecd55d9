// Issue 11, items 1, 6 and 10: whatever fails while an engine starts (its log folder removed or in
// the way, its record unwritable, the disk full) ends in a true state a person can act on, and
// never in a process nobody could find again.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitForSocket } from '../../common/wait-for.js';
import { connectDaemon } from '../../daemon/protocol/connect.js';
import { DAEMON_MAIN, liveEngines, makeHome, startDaemon, statusUntil } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

test('the logs folder removed while the daemon runs: a crashed engine still restarts, and the folder is back', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const first = (await d.rpc.request('status')).engine.pid!;
  rmSync(home.paths.logsDir, { recursive: true, force: true });
  process.kill(first, 'SIGKILL');
  await d.events.next((e) => e.type === 'crash', 'the crash');
  const s = await statusUntil(d, (st) => st.engine.state === 'ready' && st.engine.pid !== first, 'the restarted engine');
  assert.deepEqual(liveEngines(home), [s.engine.pid]);
  assert.ok(existsSync(home.paths.engineLog), 'the logs folder and the engine log were made again');
  // A load of the same model answers at once (it used to never return).
  const again = await d.rpc.request('load', { model: 'gemma-light' });
  assert.equal(again.model, 'mlx-community/gemma-4-e4b-it-4bit');
});

test('a swap whose engine cannot start ends failed with the reason, not "ready" with no process', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  // Something that is not a folder where the logs folder belongs: the engine log cannot be made.
  rmSync(home.paths.logsDir, { recursive: true, force: true });
  writeFileSync(home.paths.logsDir, 'in the way');
  await assert.rejects(d.rpc.request('load', { model: 'qwen3' }), (err: Error & { data?: { reason?: string; hint?: string } }) => {
    assert.match(err.message, /not a folder stands at .*logs/);
    assert.doesNotMatch(err.message, /internal error/);
    assert.match(err.data?.hint ?? '', /mv .*logs .*logs\.old/, 'the fix moves it away (not "read the logs")');
    return true;
  });
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'failed');
  assert.equal(s.engine.pid, null);
  assert.ok(s.engine.error?.message.includes('logs'), JSON.stringify(s.engine.error));
  assert.deepEqual(liveEngines(home), [], 'no engine runs, and none is reported');
  const health = await fetch(`http://127.0.0.1:${home.port}/health`);
  assert.equal(health.status, 503);
  // Once the way is clear, the same load works.
  rmSync(home.paths.logsDir);
  mkdirSync(home.paths.logsDir, { mode: 0o700 });
  assert.equal((await d.rpc.request('load', { model: 'qwen3' })).model, 'mlx-community/Qwen3.5-9B-MLX-4bit');
});

test('an engine whose record cannot be written is not left running', async (t) => {
  const home = makeHome(t);
  // A folder squats on engine.json: the atomic rename onto it fails.
  mkdirSync(home.paths.engineRecord);
  writeFileSync(`${home.paths.engineRecord}/keep`, '');
  const d = await startDaemon(t, home);
  await assert.rejects(d.rpc.request('load', { model: 'gemma-light' }), /engine\.json|engine was not started/);
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'failed');
  assert.equal(s.engine.pid, null);
  assert.deepEqual(liveEngines(home), [], 'the engine it could not record was stopped');
});

test('an engine left by a daemon that died hard, with no record, is found by its mark: never two engines', async (t) => {
  const home = makeHome(t);
  const d1 = await startDaemon(t, home);
  await d1.rpc.request('load', { model: 'gemma-light' });
  const orphan = (await d1.rpc.request('status')).engine.pid!;
  d1.rpc.close();
  await d1.stop('SIGKILL');
  rmSync(home.paths.engineRecord); // lost (or never written)
  const d2 = await startDaemon(t, home);
  const s = await statusUntil(d2, (st) => st.engine.state === 'ready', 'the autoloaded engine');
  assert.notEqual(s.engine.pid, orphan);
  assert.deepEqual(liveEngines(home), [s.engine.pid], 'the unrecorded leftover was stopped; one engine runs');
});

test('an engine that dies of a full disk: failed, "disk-full", with the fix, and no retry loop', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_DISK_FULL: '1' } });
  const d = await startDaemon(t, home);
  await assert.rejects(d.rpc.request('load', { model: 'gemma-light' }), (err: Error & { data?: { reason?: string; hint?: string } }) => {
    assert.equal(err.data?.reason, 'disk-full');
    assert.match(err.message, /disk is full/);
    assert.match(err.data?.hint ?? '', /free some space/);
    return true;
  });
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'failed');
  assert.equal(s.engine.error?.reason, 'disk-full');
  assert.match(s.engine.lastCrash?.detail ?? '', /No space left on device/, 'the crash detail shows what the engine said');
  assert.equal(s.engine.restarts, 0, 'a full disk is not retried');
});

test('a really full disk under logs/ (a tmpfs filled to the last block): the engine dies without a word, and the daemon says disk-full', async (t) => {
  const home = makeHome(t);
  mkdirSync(home.paths.logsDir, { mode: 0o700 });
  // A mount namespace of its own (unshare -rm works as root and, with user namespaces, without):
  // logs/ becomes a 256 KiB tmpfs, filled before the daemon starts; the rest of the home is not.
  const script = `mount -t tmpfs -o size=256k,mode=0700 tmpfs "$1" || exit 97; dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null; shift; exec "$@"`;
  const proc = spawn('unshare', ['-rm', 'sh', '-c', script, 'sh', home.paths.logsDir, process.execPath, '--import', 'tsx', DAEMON_MAIN, 'run'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const exited = once(proc, 'exit');
  onCleanup(t, async () => {
    if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; }
    for (const pid of liveEngines(home)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  });
  assert.ok(await Promise.race([waitForSocket(home.paths.home, home.paths.socket, 20_000), exited.then(() => false)]), out);
  const rpc = await connectDaemon(home.paths.socket);
  onCleanup(t, () => rpc.close());
  await assert.rejects(rpc.request('load', { model: 'gemma-light' }), (err: Error & { data?: { reason?: string; hint?: string } }) => {
    assert.equal(err.data?.reason, 'disk-full', err.message);
    assert.match(err.data?.hint ?? '', /free some space/);
    return true;
  });
  const s = await rpc.request('status');
  assert.equal(s.engine.state, 'failed');
  assert.equal(s.engine.error?.reason, 'disk-full');
  assert.deepEqual(liveEngines(home), []);
  assert.match(out, /cannot write .*daemon\.log \(ENOSPC\)/, 'the daemon itself went on, dropping its own log lines');
});
