// A daemon that died hard (SIGKILL) leaves its engine running in its own process group; the next
// daemon must end up with exactly one engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { notifications, waitForRecord } from '../helpers/record-wait.js';
import { isAlive, liveEngines, makeHome, startDaemon, type TestHome } from '../helpers/daemon.js';

/** A daemon with a ready engine, SIGKILLed: returns the engine's pid, still running. */
async function killDaemonLeavingEngine(t: TestContext, home: TestHome): Promise<number> {
  const d1 = await startDaemon(t, home);
  await d1.rpc.request('load', { model: 'gemma-light' });
  const enginePid = (await d1.rpc.request('status')).engine.pid!;
  d1.rpc.close();
  await d1.stop('SIGKILL');
  return enginePid;
}

test('after a SIGKILL of the daemon, the next one adopts the healthy engine: exactly one runs', async (t) => {
  const home = makeHome(t);
  const enginePid = await killDaemonLeavingEngine(t, home);
  assert.ok(isAlive(enginePid), 'the engine outlives a SIGKILLed daemon (its own process group)');

  const d2 = await startDaemon(t, home);
  const s = await d2.rpc.request('status');
  assert.equal(s.engine.state, 'ready');
  assert.equal(s.engine.pid, enginePid);
  assert.deepEqual(liveEngines(home), [enginePid]);
  // The person is told the daemon had to recover.
  const [note] = notifications(await waitForRecord(home, (l) => notifications(l).length > 0, 'the recovery notification'));
  assert.match((note!.argv as string[]).join(' '), new RegExp(`cclocald restarted and kept mlx-community/gemma-4-e4b-it-4bit running \\(pid ${enginePid}\\)`));
  // The adopted engine is supervised like one of our own: unload stops it.
  await d2.rpc.request('unload');
  assert.deepEqual(liveEngines(home), []);
});

test('after a SIGKILL, a daemon that will not keep the old model stops the leftover engine', async (t) => {
  const home = makeHome(t);
  const enginePid = await killDaemonLeavingEngine(t, home);
  // autoload off: the person wants no model warm at start, so the orphan must go.
  const cfg = JSON.parse(readFileSync(home.paths.config, 'utf8')) as Record<string, unknown>;
  writeFileSync(home.paths.config, JSON.stringify({ ...cfg, autoload: false }));

  const d2 = await startDaemon(t, home);
  const s = await d2.rpc.request('status');
  assert.equal(s.engine.state, 'stopped');
  assert.equal(isAlive(enginePid), false);
  const [note] = notifications(await waitForRecord(home, (l) => notifications(l).length > 0, 'the recovery notification'));
  assert.match((note!.argv as string[]).join(' '), new RegExp(`stopped a leftover engine \\(pid ${enginePid}\\)`));
  assert.deepEqual(liveEngines(home), []);
});

test('an adopted engine that crashes later is restarted', async (t) => {
  const home = makeHome(t);
  const enginePid = await killDaemonLeavingEngine(t, home);
  const d2 = await startDaemon(t, home);
  assert.equal((await d2.rpc.request('status')).engine.pid, enginePid);
  process.kill(enginePid, 'SIGKILL');
  await d2.events.next((e) => e.type === 'crash', 'the adopted engine\'s crash');
  await d2.events.next((e) => e.type === 'state' && e.to === 'ready', 'a new engine ready');
  const s = await d2.rpc.request('status');
  assert.notEqual(s.engine.pid, enginePid);
  assert.equal(liveEngines(home).length, 1);
});
