// Issue 11, item 2: a fatal error exits non-zero (launchd's KeepAlive {SuccessfulExit: false} and
// systemd's Restart=on-failure restart only that), and file-descriptor pressure from clients that
// never finish their requests refuses connections instead of breaking a spawn or the socket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitForSocket } from '../../common/wait-for.js';
import { connectDaemon } from '../../daemon/protocol/connect.js';
import { readFileSync } from 'node:fs';
import { readPidFile } from '../../common/spawn-daemon.js';
import { DAEMON_MAIN, isAlive, liveEngines, makeHome, ROOT, runProgram, startDaemon, type TestHome } from '../helpers/daemon.js';
import { EventLog } from '../helpers/events.js';
import { onCleanup } from '../helpers/temp-home.js';

test('an uncaught exception ends the daemon with exit code 1, after stopping its engine', async (t) => {
  const preload = join(ROOT, 'test', 'fixtures', 'preload', 'throw-on-sigusr2.mjs');
  const home = makeHome(t, { env: { NODE_OPTIONS: `--import ${preload}` } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const exited = once(d.proc, 'exit') as Promise<[number | null, string | null]>;
  d.proc.kill('SIGUSR2');
  const [code] = await exited;
  assert.equal(code, 1);
  assert.match(d.output(), /uncaught exception: Error: a bug somewhere in cclocald/);
  assert.deepEqual(liveEngines(home), [], 'teardown still stopped the engine');
});

/** A client that sent its headers and one byte of a 9999-byte body, and then nothing. */
function halfSentBody(home: TestHome): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(home.port, '127.0.0.1', () => {
      s.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${home.port}\r\nContent-Type: application/json\r\nContent-Length: 9999\r\n\r\n{`);
      resolve(s);
    });
    s.on('error', () => undefined); // refused or reset past the cap: that is the point
  });
}

test('under `ulimit -n 128`, 200 half-sent requests cannot stop a crashed engine from restarting or the socket from answering', async (t) => {
  const home = makeHome(t);
  const proc = spawn('/bin/sh', ['-c', 'ulimit -n 128 && exec "$0" "$@"', process.execPath, '--import', 'tsx', DAEMON_MAIN, 'run'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const exited = once(proc, 'exit') as Promise<[number | null]>;
  onCleanup(t, async () => {
    if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; }
    for (const pid of liveEngines(home)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  });
  assert.ok(await waitForSocket(home.paths.home, home.paths.socket, 20_000), out);
  const rpc = await connectDaemon(home.paths.socket);
  onCleanup(t, () => rpc.close());
  const events = new EventLog(rpc);
  await rpc.request('load', { model: 'gemma-light' });
  const first = (await rpc.request('status')).engine.pid!;

  const held = await Promise.all(Array.from({ length: 200 }, () => halfSentBody(home)));
  onCleanup(t, () => { for (const s of held) s.destroy(); });
  process.kill(first, 'SIGKILL');
  await events.next((e) => e.type === 'crash', 'the crash');
  await events.next((e) => e.type === 'state' && e.to === 'ready', 'the restarted engine', 30_000);
  const s = await rpc.request('status');
  assert.equal(s.engine.state, 'ready');
  assert.notEqual(s.engine.pid, first);
  assert.equal(proc.exitCode, null, `the daemon is alive:\n${out}`);
  for (const c of held) c.destroy();
  // Once the pressure is gone the endpoint serves again.
  const res = await fetch(`http://127.0.0.1:${home.port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'x', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) });
  assert.equal(res.status, 200);
});

test('a request whose body never finishes is answered 408 and its connection closed after requestTimeoutMs', async (t) => {
  const home = makeHome(t, { config: { requestTimeoutMs: 400 } });
  const d = await startDaemon(t, home);
  const s = await halfSentBody(home);
  let answer = '';
  s.on('data', (c: Buffer) => { answer += c.toString('utf8'); });
  await once(s, 'close');
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.equal((await d.rpc.request('status')).daemon.pid, d.proc.pid);
});


// Node raises its soft limit to the hard one as it starts (node.cc, PlatformInit); the connection
// cap and the fd tests above rest on that, so it is checked here rather than assumed.
test('a daemon started with a low soft open-files limit runs with its hard limit', async (t) => {
  const home = makeHome(t);
  const started = await runProgram('/bin/sh', ['-c', 'ulimit -S -n 256 && exec "$0" "$@"', process.execPath, '--import', 'tsx', DAEMON_MAIN, 'start'], { env: home.env });
  const pid = readPidFile(home.paths.pid);
  onCleanup(t, () => { if (pid && isAlive(pid)) process.kill(pid, 'SIGTERM'); });
  assert.equal(started.code, 0, started.stderr);
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  const hard = Number(/^Max open files\s+\d+\s+(\d+)/m.exec(limits)?.[1]);
  assert.equal(soft, hard, limits);
  const stopped = await runProgram(process.execPath, ['--import', 'tsx', DAEMON_MAIN, 'stop'], { env: home.env });
  assert.equal(stopped.code, 0, stopped.stderr);
});
