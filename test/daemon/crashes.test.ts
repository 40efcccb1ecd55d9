// How the engine dies, and what the daemon does about it: real daemon, real stand-in engine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import { errorData } from '../../daemon/protocol/connect.js';
import { isState, isType } from '../helpers/events.js';
import { cclocald, liveEngines, makeHome, startDaemon } from '../helpers/daemon.js';
import { notifications, waitForRecord } from '../helpers/record-wait.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';

async function postMessage(url: string): Promise<void> {
  // The stand-in aborts while answering this, as vllm-mlx does on a Metal OOM mid-prefill.
  await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: GEMMA, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }) }).catch(() => undefined);
}

async function rejection(p: Promise<unknown>): Promise<JSONRPCErrorException> {
  try { await p; } catch (err) { if (err instanceof JSONRPCErrorException) return err; throw err; }
  throw new Error('expected the call to fail');
}

test('a Metal OOM restarts the engine with half the context, records it and notifies once', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1' } });
  const d = await startDaemon(t, home);
  const loaded = await d.rpc.request('load', { model: 'gemma-light' });
  await postMessage(loaded.url);

  const crash = await d.events.next(isType('crash'), 'the crash event');
  assert.equal(crash.reason, 'metal-oom');
  assert.equal(crash.signal, 'SIGABRT');
  const shrunk = await d.events.next(isType('contextShrunk'), 'the context shrink');
  assert.deepEqual([shrunk.from, shrunk.to], [32768, 16384]);
  const restart = await d.events.next(isType('restart'), 'the restart');
  assert.equal(restart.delayMs, 0, 'the first crash restarts at once');
  await d.events.next(isState('ready'), 'the engine ready again');

  const s = await d.rpc.request('status');
  assert.equal(s.engine.contextWindow, 16384);
  assert.equal(s.engine.restarts, 1);
  assert.equal(s.engine.lastCrash?.reason, 'metal-oom');
  assert.match(s.engine.lastCrash?.detail ?? '', /kIOGPUCommandBufferCallbackErrorOutOfMemory/);
  // The crashed run's log survives the restart as engine.log.1.
  assert.match(readFileSync(`${home.paths.engineLog}.1`, 'utf8'), /Insufficient Memory/);

  const notes = notifications(await waitForRecord(home, (l) => notifications(l).length >= 1, 'a crash notification'));
  assert.equal(notes.length, 1);
  assert.match((notes[0]!.argv as string[]).join(' '), /crashed \(metal-oom\); restarting; context window 32768 → 16384/);
  assert.equal(liveEngines(home).length, 1);
});

test('the shrunk context is kept for that model across unload and reload, and status says how to raise it', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1' } });
  const d = await startDaemon(t, home);
  const loaded = await d.rpc.request('load', { model: 'gemma-light' });
  await postMessage(loaded.url);
  await d.events.next(isType('contextShrunk'), 'the context shrink');
  await d.events.next(isState('ready'), 'the engine ready again');
  await d.rpc.request('unload');
  assert.equal((await d.rpc.request('load', { model: 'gemma-light' })).contextWindow, 16384);
  assert.equal((await d.rpc.request('status')).engine.contextShrunkFrom, 32768);
  const said = await cclocald(home, 'status');
  assert.match(said.stdout, new RegExp(`⚠ context window 16384 tokens, below this model's default of 32768; to raise it: cclocald load ${GEMMA} --ctx 32768`));
  assert.equal((await d.rpc.request('setContext', { contextWindow: 32768 })).contextWindow, 32768);
  assert.equal((await d.rpc.request('status')).engine.contextShrunkFrom, null);
  assert.doesNotMatch((await cclocald(home, 'status')).stdout, /below this model's default/);
});

test('steady out-of-memory crashes with the window at its floor end in failed at the second, naming memory and what to free', async (t) => {
  // Every engine start aborts on its first request: a machine that lacks the memory even at the floor.
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '1' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const answers: Array<{ status: number; text: string }> = [];
  // Each request is retried once on the restarted engine; a few are enough to reach the end.
  for (let i = 0; i < 4 && d.events.ofType('failed').length === 0; i++) {
    const res = await fetch(`http://127.0.0.1:${home.port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }) });
    answers.push({ status: res.status, text: await res.text() });
  }
  const failed = await d.events.next(isType('failed'), 'the engine given up');
  assert.match(failed.message, /ran out of memory 2 times in the last 10 minutes with its context window already at the floor \(16384 tokens\).*will not be restarted \(last crash: metal-oom\)/);
  // One halving to the floor, then two crashes there: given up well before the crash loop (5).
  assert.deepEqual(d.events.ofType('contextShrunk').map((e) => [e.from, e.to]), [[32768, 16384]]);
  assert.equal(d.events.ofType('crash').length, 3);
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'failed');
  assert.equal(s.engine.contextWindow, 16384);
  assert.match(s.engine.error?.hint ?? '', /free GPU memory \(quit other programs that use it/);
  assert.deepEqual(liveEngines(home), []);
  // The client that hit the last one hears why.
  assert.match(answers.at(-1)!.text, /out of memory .* at the floor .*free GPU memory/);
});

test('an engine that keeps failing at start-up backs off, then ends in failed with the reason', async (t) => {
  const home = makeHome(t, { config: { crashLoopMax: 3 }, env: { FAKE_VLLM_STARTUP_FAIL: 'always' } });
  const d = await startDaemon(t, home);
  const err = await rejection(d.rpc.request('load', { model: 'gemma-light' }));
  assert.equal(errorData(err)?.reason, 'engine-failed');
  assert.match(err.message, /crashed 3 times/);

  const failed = await d.events.next(isType('failed'), 'the failed event');
  assert.match(failed.message, /startup-error/);
  assert.equal(d.events.ofType('crash').length, 3);
  assert.ok(d.events.ofType('crash').every((c) => c.reason === 'startup-error'));
  const restarts = d.events.ofType('restart');
  assert.deepEqual(restarts.map((r) => r.attempt), [1, 2]);
  assert.ok(restarts[1]!.delayMs > 0, 'the second restart backs off');
  // Nothing restarts after failed (the status reply below is the barrier).
  await d.rpc.request('status');
  const failedAt = d.events.all.findIndex((e) => e.type === 'failed');
  assert.ok(!d.events.all.slice(failedAt).some((e) => e.type === 'restart' || (e.type === 'state' && e.to !== 'failed')));

  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'failed');
  assert.equal(s.engine.lastCrash?.reason, 'startup-error');
  assert.match(s.engine.lastCrash?.detail ?? '', /TypeError: cannot unpack non-iterable NoneType object/);
  assert.equal(s.engine.error?.reason, 'engine-failed');
  assert.deepEqual(liveEngines(home), []);
  const notes = notifications(await waitForRecord(home, (l) => notifications(l).some((n) => (n.argv as string[]).join(' ').includes('failed')), 'the failed notification'));
  assert.ok(notes.length >= 1);
});

test('start-up failures that stop are survived: the engine comes up after two', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_STARTUP_FAIL: '2' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'ready');
  assert.equal(s.engine.restarts, 2);
});

test('an engine that never becomes ready nor downloads is stopped as startup-timeout', async (t) => {
  const home = makeHome(t, { config: { stallTimeoutMs: 400, crashLoopMax: 1 }, env: { FAKE_VLLM_HANG: '1' } });
  const d = await startDaemon(t, home);
  const err = await rejection(d.rpc.request('load', { model: 'gemma-light' }));
  assert.equal(errorData(err)?.reason, 'engine-failed');
  const crash = d.events.ofType('crash')[0]!;
  assert.equal(crash.reason, 'startup-timeout');
  assert.match(crash.stderrTail, /no download progress and not ready after/);
  assert.deepEqual(liveEngines(home), []);
});

test('an engine killed by a signal while serving is restarted with reason signal', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const pid = (await d.rpc.request('status')).engine.pid!;
  process.kill(pid, 'SIGKILL');
  const crash = await d.events.next(isType('crash'), 'the crash');
  assert.equal(crash.reason, 'signal');
  await d.events.next(isState('ready'), 'ready again');
  assert.notEqual((await d.rpc.request('status')).engine.pid, pid);
});

test('a missing engine executable is a clear error in the load reply and in status', async (t) => {
  const home = makeHome(t, { env: { CCLOCAL_ENGINE_BIN: '/nonexistent/vllm-mlx' } });
  const d = await startDaemon(t, home);
  const before = await d.rpc.request('status');
  assert.equal(before.engine.bin, null);
  assert.equal(before.engine.error?.reason, 'engine-missing');
  const err = await rejection(d.rpc.request('load', { model: 'gemma-light' }));
  assert.equal(err.code, 1001);
  assert.equal(errorData(err)?.reason, 'engine-missing');
  assert.match(err.message, /\/nonexistent\/vllm-mlx/);
  assert.match(errorData(err)?.hint ?? '', /CCLOCAL_ENGINE_BIN/);
  // Refused before anything was touched: nothing was running, nothing runs.
  assert.equal((await d.rpc.request('status')).engine.state, 'stopped');
  const cli = await cclocald(home, 'load', 'gemma-light');
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /vllm-mlx not found .*\(engine-missing\)\n  hint: CCLOCAL_ENGINE_BIN/);
});

test('an engine port already taken is refused before the engine starts', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const home = makeHome(t, { config: { enginePort: port } });
  const d = await startDaemon(t, home);
  const err = await rejection(d.rpc.request('load', { model: 'gemma-light' }));
  assert.equal(errorData(err)?.reason, 'port-in-use');
  assert.match(err.message, new RegExp(`port ${port}`));
  assert.deepEqual(liveEngines(home), []);
});

test('an unknown model is refused with the catalog names', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const err = await rejection(d.rpc.request('load', { model: 'gpt-5' }));
  assert.equal(err.code, 1002);
  assert.match(errorData(err)?.hint ?? '', /gemma-light/);
  assert.equal((await d.rpc.request('status')).engine.state, 'stopped');
});
