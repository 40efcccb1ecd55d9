// Crash notifications through the platform's notifier, and a missing notifier that never matters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { isState, isType } from '../helpers/events.js';
import { FAKE_ENGINE, makeHome, startDaemon } from '../helpers/daemon.js';
import { notifications, waitForRecord } from '../helpers/record-wait.js';

test('on macOS a crash is announced with osascript display notification', async (t) => {
  const home = makeHome(t, { config: { platform: 'darwin' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  process.kill((await d.rpc.request('status')).engine.pid!, 'SIGKILL');
  await d.events.next(isState('ready'), 'ready after the restart');
  const [note] = notifications(await waitForRecord(home, (l) => notifications(l).length > 0, 'an osascript call'));
  assert.equal(note!.program, 'osascript');
  assert.deepEqual((note!.argv as string[]).slice(0, 1), ['-e']);
  assert.match((note!.argv as string[])[1]!, /^display notification "mlx-community\/gemma-4-e4b-it-4bit crashed \(signal\); restarting" with title "cclocal"$/);
});

test('without any notifier the daemon logs it once and goes on restarting', async (t) => {
  // PATH without the stand-ins (and Debian has no notify-send): only node and the system tools.
  const home = makeHome(t, { env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, CCLOCAL_ENGINE_BIN: FAKE_ENGINE } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  for (let i = 0; i < 2; i++) {
    process.kill((await d.rpc.request('status')).engine.pid!, 'SIGKILL');
    await d.events.next(isType('restart'), `restart ${i + 1}`);
    await d.events.next(isState('ready'), `ready after restart ${i + 1}`);
  }
  assert.equal((await d.rpc.request('status')).engine.restarts, 2);
  const warned = (await d.stop()) === 0 && readFileSync(home.paths.daemonLog, 'utf8').split('\n').filter((l) => l.includes('no desktop notifier found'));
  assert.ok(warned);
  assert.equal(warned.length, 1);
});
