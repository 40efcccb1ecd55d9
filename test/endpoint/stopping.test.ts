// Issue 11, item 3: stopping cclocald (stop, restart, install, uninstall all stop it) ends every
// open answer with an Anthropic error that says so, and answers every waiting request 503 in the
// same words; an unload mid-answer says it was an unload.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cclocald, makeHome, startDaemon, statusUntil, type TestHome } from '../helpers/daemon.js';

const body = (stream: boolean) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] });

/** A streamed request whose text so far can be awaited, and whose end is its whole text. */
async function openStream(home: TestHome): Promise<{ status: number; seen(pattern: RegExp): Promise<void>; done: Promise<string> }> {
  const res = await fetch(`http://127.0.0.1:${home.port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(true) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const waker: { wake: (() => void) | null } = { wake: null };
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        text += decoder.decode(value, { stream: true });
        waker.wake?.();
      }
    } catch (err) {
      text += `\n[read failed: ${(err as Error).message}]`;
    }
    waker.wake?.();
    return text;
  })();
  const seen = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const ended = await Promise.race([done.then(() => true), new Promise<false>((r) => { waker.wake = () => r(false); })]);
      if (ended && !pattern.test(text)) throw new Error(`the stream ended without ${pattern}: ${text}`);
    }
  };
  return { status: res.status, seen, done };
}

test('cclocald stop mid-answer: the open stream ends with an error event saying cclocald is stopping, the waiting request gets 503', async (t) => {
  // The engine holds after its first word (no file ever appears); one request at a time.
  const home = makeHome(t, { config: { endpointConcurrency: 1 }, env: { FAKE_VLLM_HOLD_FILE: join('/nonexistent', 'never') } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const open = await openStream(home);
  await open.seen(/w0/);
  const waiting = fetch(`http://127.0.0.1:${home.port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(false) });
  await statusUntil(d, (s) => s.endpoint.queueDepth === 1, 'the second request waiting its turn');
  const stop = await cclocald(home, 'stop');
  assert.equal(stop.code, 0, stop.stderr);
  const text = await open.done;
  assert.match(text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"cclocald is stopping/);
  assert.doesNotMatch(text, /read failed/, 'the stream ended cleanly, not cut');
  const w = await waiting;
  assert.equal(w.status, 503);
  const err = (await w.json()) as { type: string; error: { type: string; message: string } };
  assert.equal(err.type, 'error');
  assert.match(err.error.message, /^cclocald is stopping/);
});

test('cclocald unload mid-answer says the model was unloaded, not that cclocald is restarting it', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_HOLD_FILE: join('/nonexistent', 'never') } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const open = await openStream(home);
  await open.seen(/w0/);
  await d.rpc.request('unload');
  const text = await open.done;
  assert.match(text, /event: error\n.*the model was unloaded/);
  assert.doesNotMatch(text, /restarting/);
});
