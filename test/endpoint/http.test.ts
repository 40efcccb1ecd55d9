// The endpoint's routes, exposure rules and error forms, on a real daemon.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { makeHome, spawnDaemon, startDaemon, type TestHome } from '../helpers/daemon.js';
import { waitForRecord } from '../helpers/record-wait.js';

function call(home: TestHome, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: home.port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const message = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });

test('a foreign Host (DNS rebinding) or a foreign Origin is refused; loopback names are served', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const evil = await call(home, 'POST', '/v1/messages', { host: `attacker.example:${home.port}` }, message);
  assert.equal(evil.status, 403);
  assert.match(evil.body, /"permission_error".*Host attacker\.example/);
  const origin = await call(home, 'POST', '/v1/messages', { origin: 'https://attacker.example' }, message);
  assert.equal(origin.status, 403);
  assert.equal((await call(home, 'POST', '/v1/messages', { origin: 'null' }, message)).status, 403);
  for (const host of [`localhost:${home.port}`, `127.0.0.1:${home.port}`, `[::1]:${home.port}`]) {
    assert.equal((await call(home, 'POST', '/v1/messages', { host }, message)).status, 200, host);
  }
  assert.equal((await call(home, 'POST', '/v1/messages', { origin: 'http://localhost:3000' }, message)).status, 200);
});

test('a Host or Origin that only starts like a loopback name is refused', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  for (const host of ['[::1]evil.com', '[::1].evil.com', `[::1]:${home.port}.evil.com`, `127.0.0.1.evil.com:${home.port}`, `localhost:${home.port}@evil.com`]) {
    const r = await call(home, 'GET', '/v1/models', { host });
    assert.equal(r.status, 403, host);
    assert.match(r.body, /not a loopback name/, host);
  }
  for (const origin of ['http://[::1]evil.com', 'http://[::1].evil.com', 'http://localhost.evil.com:3000']) {
    assert.equal((await call(home, 'GET', '/v1/models', { origin })).status, 403, origin);
  }
  assert.equal((await call(home, 'GET', '/v1/models', { host: `[::1]:${home.port}`, origin: 'http://[::1]:3000' })).status, 200);
});

test('/health is 200 only when a model is ready; / and /v1/models answer at once', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const before = await call(home, 'GET', '/health');
  assert.equal(before.status, 503);
  assert.deepEqual(JSON.parse(before.body), { status: 'stopped', engine: { state: 'stopped', model: null, contextWindow: 32768 } });
  assert.equal((await call(home, 'HEAD', '/')).status, 200);
  await d.rpc.request('load', { model: 'gemma-light' });
  const after = await call(home, 'GET', '/health');
  assert.equal(after.status, 200);
  assert.equal(JSON.parse(after.body).status, 'healthy');
  const models = JSON.parse((await call(home, 'GET', '/v1/models')).body) as { data: Array<{ id: string; max_input_tokens: number }> };
  assert.deepEqual(models.data.map((m) => [m.id, m.max_input_tokens]), [['mlx-community/gemma-4-e4b-it-4bit', 32768]]);
  const unknown = await call(home, 'GET', '/v1/files');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body, /"not_found_error"/);
});

test('with nothing loaded, or a failed engine, requests get an Anthropic error naming the fix', async (t) => {
  const home = makeHome(t, { config: { crashLoopMax: 1 }, env: { FAKE_VLLM_STARTUP_FAIL: 'always' } });
  const d = await startDaemon(t, home);
  const none = await call(home, 'POST', '/v1/messages', {}, message);
  assert.equal(none.status, 503);
  assert.match(none.body, /"api_error".*no model is loaded.*cclocald load gemma-light/);
  await d.rpc.request('load', { model: 'gemma-light' }).catch(() => undefined);
  const failed = await call(home, 'POST', '/v1/messages', {}, message);
  assert.equal(failed.status, 503);
  assert.match(failed.body, /crashed 1 times.*startup-error/);
});

test('count_tokens is answered by the engine under the loaded model', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const r = await call(home, 'POST', '/v1/messages/count_tokens?beta=true', {}, JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hello there' }] }));
  assert.equal(r.status, 200);
  assert.ok((JSON.parse(r.body) as { input_tokens: number }).input_tokens > 0);
});

test('past the queue bound a request gets overloaded_error (529) at once; the others complete', async (t) => {
  const home = makeHome(t, { config: { queueMax: 1 } });
  const hold = join(home.dir, 'go');
  home.env.FAKE_VLLM_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const stream = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'x' }] });
  const first = call(home, 'POST', '/v1/messages', {}, stream); // held by the engine after its first event
  await waitForRecord(home, (l) => l.some((r) => r.event === 'request'), 'the first request at the engine');
  const second = call(home, 'POST', '/v1/messages', {}, stream); // waits its turn
  // The daemon's own counter is the barrier: the second request is in the queue.
  const deadline = Date.now() + 10_000;
  while ((await d.rpc.request('status')).endpoint.queueDepth < 1) assert.ok(Date.now() < deadline, 'the second request never queued');
  const third = await call(home, 'POST', '/v1/messages', {}, stream);
  assert.equal(third.status, 529);
  assert.match(third.body, /"overloaded_error".*queue is full/);
  writeFileSync(hold, '');
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
});

test('a daemon whose endpoint port is taken exits 1 saying so', async (t) => {
  const home = makeHome(t);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(home.port, '127.0.0.1', r));
  t.after(() => blocker.close());
  const proc = spawnDaemon(home);
  const [code] = await once(proc, 'exit');
  assert.equal(code, 1);
  assert.match(proc.output(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${home.port}: the port is in use`));
});

test('the endpoint listens on 127.0.0.1 only: the kernel lists its socket bound to loopback, none on any other address', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  // /proc/net/tcp{,6}: "sl local_address rem_address st …", addresses in hex, state 0A = LISTEN.
  const hexPort = home.port.toString(16).toUpperCase().padStart(4, '0');
  const listening = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
    .map((l) => l.trim().split(/\s+/)).filter((c) => c[1]?.endsWith(`:${hexPort}`) && c[3] === '0A').map((c) => c[1]!.split(':')[0]);
  assert.deepEqual(listening, ['0100007F'], `listen addresses for port ${home.port}: ${listening.join(', ')}`);
});
