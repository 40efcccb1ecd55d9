// The remote engine's edges, against real llama-servers on loopback: TLS through a private CA made
// here, the upstream token (it arrives; it never reaches claude, a log or status; the client's own
// keys never leave), refusals for load (429 then recovery; 529 after the bound), concurrency.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cclocald, makeHome, ROOT, runProgram, startDaemon, statusUntil } from '../helpers/daemon.js';
import { realLlama } from '../helpers/llama.js';
import { tempDir } from '../helpers/temp-home.js';
import { httpFront, llamaUpstream, makeCa, tlsTerminator } from '../helpers/upstreams.js';
import { ask, remoteHome, requestLines } from '../helpers/remote.js';

const found = realLlama();
const L = 'unavailable' in found ? null : found;
const skip = 'unavailable' in found ? found.unavailable : false;

test('TLS with a private CA: trusted through caFile, refused without it with the reason and the fix', { skip }, async (t) => {
  const ca = makeCa(tempDir(t));
  if ('unavailable' in ca) { t.skip(ca.unavailable); return; }
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos });
  const tlsUrl = await tlsTerminator(t, ca, up.port);

  const trusted = remoteHome(t, { urls: [tlsUrl], caFile: ca.caFile });
  const d = await startDaemon(t, trusted);
  await statusUntil(d, (s) => s.engine.state === 'ready', 'ready over TLS');
  const r = await ask(trusted, {});
  assert.equal(r.status, 200, await r.clone().text());
  await r.arrayBuffer();

  const untrusted = remoteHome(t, { urls: [tlsUrl] }, { autoload: false, queueTimeoutMs: 1000 });
  const d2 = await startDaemon(t, untrusted);
  await assert.rejects(d2.rpc.request('load', { model: '', engine: 'remote' }), (err: Error) => {
    assert.match(err.message, /not trusted/);
    assert.match(err.message, new RegExp(tlsUrl.replace(/[.:/]/g, '\\$&')));
    return true;
  });
  const st = await d2.rpc.request('status');
  assert.equal(st.engine.state, 'backoff');
  assert.match(st.engine.upstreams![0]!.lastError ?? '', /set remote\.caFile/);
  // A request waits for an upstream to come back, up to queueTimeoutMs (1 s here), then 529.
  const refused = await ask(untrusted, {});
  assert.equal(refused.status, 529);
  await refused.arrayBuffer();
});

test('the upstream token: it reaches the upstream (which refuses without it), never claude, a log or status; the client\'s own keys never leave', { skip }, async (t) => {
  const dir = tempDir(t);
  const TOKEN = 'team-token-5f3a9c1e7b2d';
  const keyFile = join(dir, 'server-keys');
  writeFileSync(keyFile, `${TOKEN}\n`);
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos, ctx: 40960, apiKeyFile: keyFile });
  const front = await httpFront(t, up.url);
  const tokenFile = join(dir, 'remote-token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const home = remoteHome(t, { urls: [front.url], tokenFile });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => s.engine.state === 'ready', 'ready with the token');

  const CLIENT_KEY = 'sk-ant-api03-client-own-key-0000';
  const r = await ask(home, {}, { 'x-api-key': CLIENT_KEY, authorization: `Bearer ${CLIENT_KEY}`, 'x-claude-code-session-id': 'sess-1' });
  assert.equal(r.status, 200, await r.clone().text());
  await r.arrayBuffer();
  const sent = front.seen.filter((s) => s.method === 'POST' && s.path === '/v1/messages').at(-1)!;
  assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`, 'the token, on the upstream hop');
  assert.ok(!JSON.stringify(sent.headers).includes(CLIENT_KEY), `the client's key never leaves: ${JSON.stringify(sent.headers)}`);
  assert.equal(sent.headers['x-claude-code-session-id'], 'sess-1', 'the session id goes on, for a router\'s affinity');

  // claude's whole environment, as cclocal starts it.
  const envDump = join(dir, 'claude-env');
  const fakeClaude = join(dir, 'claude');
  writeFileSync(fakeClaude, `#!/bin/sh\nenv > '${envDump}'\n`);
  chmodSync(fakeClaude, 0o755);
  const run = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--engine', 'remote', '--', '-p', 'hi'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: fakeClaude }, cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  const claudeEnv = readFileSync(envDump, 'utf8');
  assert.match(claudeEnv, new RegExp(`ANTHROPIC_BASE_URL=http://127.0.0.1:${home.port}`));
  assert.ok(!claudeEnv.includes(TOKEN), 'the token is not in claude\'s environment');

  const status = await cclocald(home, 'status', '--json');
  assert.ok(!status.stdout.includes(TOKEN) && status.stdout.includes(front.url), 'status names the upstream, not its token');
  assert.ok(!readFileSync(home.paths.daemonLog, 'utf8').includes(TOKEN), 'nor does the log');

  // A token the upstream refuses at the probe: unhealthy, saying which file to check.
  const wrongFile = join(dir, 'wrong-token');
  writeFileSync(wrongFile, 'not-the-team-token\n', { mode: 0o600 });
  const wrong = remoteHome(t, { urls: [up.url], tokenFile: wrongFile });
  const dw = await startDaemon(t, wrong);
  const backoff = await statusUntil(dw, (s) => s.engine.state === 'backoff', 'the refused token seen at the probe');
  assert.match(backoff.engine.upstreams![0]!.lastError ?? '', /refused the credentials \(401\): check remote\.tokenFile/);
  // Refused later, on a request (a token revoked between probes): the daemon's problem, said as
  // such, never a 401 (which would send the person to log in to Anthropic).
  const revoked = await httpFront(t, up.url, (r, res) => {
    if (r.method !== 'POST') return false;
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Invalid API Key","type":"authentication_error"}}');
    return true;
  });
  const late = remoteHome(t, { urls: [revoked.url], tokenFile });
  const dl = await startDaemon(t, late);
  await statusUntil(dl, (s) => s.engine.state === 'ready', 'ready');
  const refused = await ask(late, {});
  assert.equal(refused.status, 502);
  const said = (await refused.json()) as { error: { type: string; message: string } };
  assert.equal(said.error.type, 'api_error');
  assert.match(said.error.message, /refused cclocald's credentials \(401: Invalid API Key\).*remote\.tokenFile/);

  // A token file others can read is refused at load, with the fix.
  chmodSync(tokenFile, 0o644);
  await assert.rejects(d.rpc.request('load', { model: '', engine: 'remote' }), (err: Error & { data?: { hint?: string } }) => {
    assert.match(err.message, /can be read by others \(mode 644\)/);
    assert.match(err.data?.hint ?? '', /chmod 600/);
    return true;
  });
  assert.equal((await d.rpc.request('status')).engine.state, 'failed');
});

test('an upstream that refuses for load (429) and then recovers: the client gets its answer; one that keeps refusing: 529 overloaded_error with retry-after after the bound', { skip }, async (t) => {
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos });
  let refusals = 2;
  const flaky = await httpFront(t, up.url, (r, res) => {
    if (r.method !== 'POST' || refusals === 0) return false;
    refusals--;
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"error":{"type":"rate_limit_error","message":"too many requests"}}');
    return true;
  });
  const always = await httpFront(t, up.url, (r, res) => {
    if (r.method !== 'POST') return false;
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"object":"error","message":"the server is busy"}');
    return true;
  });

  const home = remoteHome(t, { urls: [flaky.url] });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => s.engine.state === 'ready', 'ready');
  const r = await ask(home, {});
  assert.equal(r.status, 200, await r.clone().text());
  await r.arrayBuffer();
  assert.equal(flaky.seen.filter((s) => s.method === 'POST').length, 3, 'two refusals, then the answer');
  assert.equal((await d.rpc.request('status')).endpoint.errors, 0);

  const home2 = remoteHome(t, { urls: [always.url], overloadRetryMs: 600 });
  const d2 = await startDaemon(t, home2);
  await statusUntil(d2, (s) => s.engine.state === 'ready', 'ready');
  const started = Date.now();
  const busy = await ask(home2, {});
  assert.equal(busy.status, 529);
  assert.ok(Number(busy.headers.get('retry-after')) >= 1, 'with retry-after');
  const body = (await busy.json()) as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'overloaded_error');
  assert.match(body.error.message, /the server is busy/);
  assert.ok(always.seen.filter((s) => s.method === 'POST').length >= 2, 'asked again within the bound');
  assert.ok(Date.now() - started >= 600, 'not given up before the bound');
  assert.equal((await requestLines(d2)).at(-1)?.status, 529);
});

test('concurrency follows the engine kind: a remote upstream gets the configured number of requests at once', { skip }, async (t) => {
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos });
  // The front keeps each request until two are in, then passes both on: with one at a time,
  // the second would never arrive and both would time out.
  const held: Array<() => void> = [];
  const front = await httpFront(t, up.url, (r, res) => {
    if (r.method !== 'POST') return false;
    held.push(() => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'm', type: 'message', role: 'assistant', model: 'x', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } })); });
    if (held.length === 2) for (const f of held.splice(0)) f();
    return true;
  });
  // With one at a time the first would wait for a second that never comes: the wedge watch ends it.
  const home = remoteHome(t, { urls: [front.url], concurrency: 2 }, { firstEventTimeoutMs: 10_000 });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => s.engine.state === 'ready', 'ready');
  const [a, b] = await Promise.all([ask(home, {}), ask(home, {}, { 'x-claude-code-agent-id': 'sub-1' })]);
  assert.deepEqual([a.status, b.status], [200, 200]);
});

test('a config.json remote block that cannot work is refused at start with the key and the fix', async (t) => {
  const home = makeHome(t, { config: { engine: 'remote', remote: { urls: ['https://user:secret@inference.example'] } }, env: { CCLOCAL_ENGINE: undefined } });
  const r = await cclocald(home, 'run');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config\.json: remote: inference\.example: put the credentials in tokenFile/);
  assert.doesNotMatch(r.stderr, /secret/);
});

test('an upstream that takes the token only as x-api-key (its /v1/models open to all): the first refusal switches the header, and the client never sees it', { skip }, async (t) => {
  const dir = tempDir(t);
  const TOKEN = 'gateway-token-only-as-x-api-key';
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos });
  const gateway = await httpFront(t, up.url, (r, res) => {
    if (r.method !== 'POST' || r.headers['x-api-key'] === TOKEN) return false;
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"type":"authentication_error","message":"x-api-key required"}}');
    return true;
  });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const home = remoteHome(t, { urls: [gateway.url], tokenFile });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => s.engine.state === 'ready', 'ready');
  for (let i = 0; i < 2; i++) {
    const r = await ask(home, {});
    assert.equal(r.status, 200, await r.clone().text());
    await r.arrayBuffer();
  }
  const posts = gateway.seen.filter((s) => s.method === 'POST');
  assert.deepEqual(posts.map((s) => s.headers['x-api-key'] === TOKEN), [false, true, true], 'refused once as Bearer, then x-api-key from then on');
  assert.equal((await d.rpc.request('status')).endpoint.errors, 0);
});

test('a gateway that answers 502 for a dead replica before the first token: the request moves to the next upstream', { skip }, async (t) => {
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos });
  const broken = await httpFront(t, up.url, (r, res) => {
    if (r.method !== 'POST') return false;
    res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
    return true;
  });
  const home = remoteHome(t, { urls: [broken.url, up.url] });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => (s.engine.upstreams ?? []).every((u) => u.healthy), 'both healthy');
  const r = await ask(home, {});
  assert.equal(r.status, 200, await r.clone().text());
  await r.arrayBuffer();
  assert.equal((await requestLines(d)).at(-1)?.upstream, up.url);
  assert.equal(broken.seen.filter((s) => s.method === 'POST').length, 1);
});

test('`--engine remote` with a token file others can read is refused before the warm local model is touched', async (t) => {
  const dir = tempDir(t);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'secret', { mode: 0o644 });
  chmodSync(tokenFile, 0o644);
  const home = makeHome(t, { config: { remote: { urls: ['http://127.0.0.1:9'], tokenFile } } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const r = await cclocald(home, 'load', '--engine', 'remote');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /can be read by others/);
  const s = await d.rpc.request('status');
  assert.deepEqual([s.engine.kind, s.engine.state], ['vllm-mlx', 'ready'], 'the local model still serves');
});

test('an upstream that takes a request and never answers it: after firstEventTimeoutMs the request moves to the next upstream', { skip }, async (t) => {
  const up = await llamaUpstream(t, { bin: L!.bin, model: L!.eos });
  const silent = await httpFront(t, up.url, (r) => r.method === 'POST'); // takes it, says nothing
  const home = remoteHome(t, { urls: [silent.url, up.url] }, { firstEventTimeoutMs: 1000 });
  const d = await startDaemon(t, home);
  await statusUntil(d, (s) => (s.engine.upstreams ?? []).every((u) => u.healthy), 'both healthy');
  const r = await ask(home, { stream: true });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /event: message_stop/);
  assert.doesNotMatch(text, /event: error/);
  assert.equal((await requestLines(d)).at(-1)?.upstream, up.url);
  const down = await d.events.next((e) => e.type === 'upstream' && e.url === silent.url && !e.healthy, 'the silent upstream marked unhealthy');
  assert.match((down as { lastError: string }).lastError, /stopped generating: no generated event from the engine for 1 s/);
});
