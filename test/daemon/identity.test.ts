// Issue 11, item 5: an engine is ours only when it carries the mark this home's daemon put on it
// (engine/owner-mark.ts) and the start stamp recorded with it. A look-alike command line, a
// recycled pid or another home's engine is never stopped, adopted or waited on.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { isAlive, liveEngines, makeHome, recorded, startDaemon } from '../helpers/daemon.js';
import { notifications } from '../helpers/record-wait.js';
import { onCleanup } from '../helpers/temp-home.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';

/** A live process that is not an engine of ours, killed after the test. */
async function bystander(t: TestContext, argv: string[], detached: boolean): Promise<ChildProcess> {
  const p = spawn('python3', argv, { stdio: ['ignore', 'pipe', 'ignore'], detached });
  onCleanup(t, () => { try { p.kill('SIGKILL'); } catch { /* gone */ } });
  await once(p.stdout!, 'data'); // it runs
  return p;
}

const SLEEPER = ['-c', 'import sys,time; print("up", flush=True); time.sleep(120)'];

test('a look-alike named in engine.json (mlx_lm.server with the model id, not a group leader) is left alone, and start does not hang', async (t) => {
  const home = makeHome(t, { config: { autoload: false } });
  const p = await bystander(t, [...SLEEPER, 'mlx_lm.server', '--model', GEMMA, 'serve', '--port', '8123'], false);
  // A record as this home's daemon writes it (run id, start stamp) whose pid now belongs to another
  // process: the stamp and the mark are not that process's.
  writeFileSync(home.paths.engineRecord, JSON.stringify({ kind: 'vllm-mlx', pid: p.pid, model: GEMMA, port: 8123, bin: 'python3', startedAt: new Date().toISOString(), runId: 'a1b2c3d4e5f6', processStart: '12345' }));
  const d = await startDaemon(t, home);
  assert.equal((await d.rpc.request('status')).engine.state, 'stopped');
  assert.ok(isAlive(p.pid!), 'the look-alike was not signalled');
  assert.equal(d.events.ofType('recovered').length, 0);
});

test('an engine.json with an empty model naming another program (python3 -m http.server) is left alone', async (t) => {
  const home = makeHome(t, { config: { autoload: false } });
  const p = await bystander(t, ['-u', '-c', 'import http.server,sys; print("up", flush=True); sys.argv=["x","0"]; http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, port=0, bind="127.0.0.1")', 'serve', '--port', '8000'], true);
  writeFileSync(home.paths.engineRecord, JSON.stringify({ kind: 'vllm-mlx', pid: p.pid, model: '', port: 8000, bin: 'python3', startedAt: new Date().toISOString() }));
  const d = await startDaemon(t, home);
  assert.equal((await d.rpc.request('status')).engine.state, 'stopped');
  assert.ok(isAlive(p.pid!));
});

test("another home's engine for the same model is neither adopted nor stopped, even with its record copied in", async (t) => {
  const homeB = makeHome(t);
  const b = await startDaemon(t, homeB);
  await b.rpc.request('load', { model: 'gemma-light' });
  const enginePidB = (await b.rpc.request('status')).engine.pid!;
  const homeA = makeHome(t);
  // A's record names B's engine, mark, start stamp and all; A was last serving the same model.
  writeFileSync(homeA.paths.engineRecord, readFileSync(homeB.paths.engineRecord));
  writeFileSync(homeA.paths.state, JSON.stringify({ lastModel: GEMMA, lastEngine: 'vllm-mlx', contexts: {} }));
  const a = await startDaemon(t, homeA);
  const sA = await a.rpc.request('status');
  assert.notEqual(sA.engine.pid, enginePidB, 'A did not adopt B\'s engine');
  assert.ok(isAlive(enginePidB), 'A did not stop B\'s engine');
  assert.equal(a.events.ofType('recovered').length, 0);
  await a.rpc.request('unload');
  assert.ok(isAlive(enginePidB), "A's unload did not touch B's engine");
  assert.equal((await b.rpc.request('status')).engine.state, 'ready');
  assert.deepEqual(liveEngines(homeB), [enginePidB]);
  assert.equal(notifications(recorded(homeA)).filter((n) => /leftover/.test((n.argv as string[]).join(' '))).length, 0);
});
