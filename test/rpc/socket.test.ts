// Whatever a peer writes on the control socket, it gets the JSON-RPC error for it and both the
// connection and the daemon go on.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { join } from 'node:path';
import { JSONRPCServer } from 'json-rpc-2.0';
import pino from 'pino';
import { readLines } from '../../daemon/protocol/framing.js';
import { listenSocket } from '../../daemon/rpc/socket-server.js';
import { makeHome, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp-home.js';

function rawClient(path: string): Promise<{ socket: Socket; send(line: string): Promise<Record<string, any>> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const waiting: Array<(v: Record<string, any>) => void> = [];
    readLines(socket, {
      onLine: (l) => {
        const msg = JSON.parse(l) as Record<string, any>;
        if (msg.method === 'event') return; // notifications are not answers
        waiting.shift()?.(msg);
      },
      onOverflow: () => undefined,
    });
    socket.once('error', reject);
    socket.once('connect', () => resolve({
      socket,
      send: (line) => new Promise((r) => { waiting.push(r); socket.write(line); }),
    }));
  });
}

const pick = (r: Record<string, any>) => [r.error?.code, r.id];

test('garbage, invalid requests, unknown methods and bad params get their errors; the connection goes on', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const c = await rawClient(home.paths.socket);
  t.after(() => c.socket.destroy());

  assert.equal((await c.send('this is not json\n')).error.code, -32700);
  assert.equal((await c.send('{"jsonrpc":"2.0","id":1,"method":\n')).error.code, -32700);
  assert.equal((await c.send('42\n')).error.code, -32600);
  assert.equal((await c.send('{"jsonrpc":"1.0","id":2,"method":"status"}\n')).error.code, -32600);
  const unknown = await c.send('{"jsonrpc":"2.0","id":3,"method":"format-disk"}\n');
  assert.equal(unknown.error.code, -32601);
  assert.equal(unknown.id, 3);
  const badParams = await c.send('{"jsonrpc":"2.0","id":4,"method":"load","params":{"model":7}}\n');
  assert.equal(badParams.error.code, -32602);
  assert.match(badParams.error.message, /load needs \{"model"/);
  const badCtx = await c.send('{"jsonrpc":"2.0","id":5,"method":"setContext","params":{"contextWindow":"big"}}\n');
  assert.equal(badCtx.error.code, -32602);
  const arrayParams = await c.send('{"jsonrpc":"2.0","id":6,"method":"preflight","params":["gemma"]}\n');
  assert.equal(arrayParams.error.code, -32602);

  const ok = await c.send('{"jsonrpc":"2.0","id":7,"method":"status"}\n');
  assert.equal(ok.id, 7);
  assert.equal(ok.result.daemon.pid, d.proc.pid);
  assert.equal(d.proc.exitCode, null, 'the daemon is still running');
});

test('a non-string method, an object, array or boolean id and bad batches get -32600 as JSON-RPC 2.0 says', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  const c = await rawClient(home.paths.socket);
  t.after(() => c.socket.destroy());

  assert.deepEqual(pick(await c.send('{"jsonrpc":"2.0","id":1,"method":5}\n')), [-32600, 1]);
  for (const id of ['{"a":1}', '[1]', 'true']) {
    assert.deepEqual(pick(await c.send(`{"jsonrpc":"2.0","id":${id},"method":"status"}\n`)), [-32600, null], id);
  }
  const nested = await c.send('[[1],[2]]\n');
  assert.ok(Array.isArray(nested), 'a batch is answered with an array');
  assert.deepEqual(nested.map(pick), [[-32600, null], [-32600, null]]);
  const mixed = await c.send('[{"jsonrpc":"2.0","id":7,"method":"status"},{"foo":"bar"},{"jsonrpc":"2.0","method":"status"}]\n');
  assert.deepEqual(mixed.map((r: Record<string, any>) => [r.id, r.error?.code ?? 'result']), [[7, 'result'], [null, -32600]]);
  const empty = await c.send('[]\n');
  assert.ok(!Array.isArray(empty), 'an empty batch gets one error, not an array');
  assert.deepEqual(pick(empty), [-32600, null]);
  assert.equal((await c.send('{"jsonrpc":"2.0","id":8,"method":"status"}\n')).id, 8);
});

test('a client that sends requests but never reads the answers is dropped; others are still served', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const socket = connect(home.paths.socket);
  t.after(() => socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  let dropped = false;
  socket.once('error', () => { dropped = true; }); // EPIPE once the daemon has hung up
  socket.once('close', () => { dropped = true; });
  // Never read: no 'data' listener, so the answers stay unread. Before the fix the daemon buffered
  // all of them (about 135 MB for 150,000); a few MB of answers is far past its cap.
  const line = '{"jsonrpc":"2.0","id":1,"method":"status"}\n';
  let sent = 0;
  while (!dropped && sent < 150_000) {
    sent++;
    if (!socket.write(line)) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
  }
  assert.ok(dropped, `the daemon kept a client that read none of ${sent} answers`);
  assert.equal((await d.rpc.request('status')).daemon.pid, d.proc.pid);
});

test('a client that never reads its event notifications is dropped once they pass the cap', async (t) => {
  const path = join(tempDir(t), 's.sock');
  const sock = await listenSocket(path, new JSONRPCServer(), pino({ level: 'silent' }), 64 * 1024);
  t.after(() => sock.close());
  const reader = await rawClient(path);
  const idle = connect(path); // connects and never reads
  t.after(() => { reader.socket.destroy(); idle.destroy(); });
  await new Promise((r) => idle.once('connect', r));
  await reader.send('{"jsonrpc":"2.0","id":1,"method":"none"}\n'); // barrier: both are accepted
  const event = { type: 'progress', at: new Date(0).toISOString(), model: 'x'.repeat(200), phase: 'downloading', bytes: 1, rateBps: 1, loadingS: 0, totalBytes: null, totalIsEstimate: false } as const;
  for (let i = 0; i < 100_000 && sock.connectionCount() === 2; i++) {
    sock.broadcast(event);
    if (i % 100 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.equal(sock.connectionCount(), 1, 'only the reading client is left');
});

test('a line longer than the limit is answered -32700 and the next request still works', async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  const c = await rawClient(home.paths.socket);
  t.after(() => c.socket.destroy());
  const huge = `{"jsonrpc":"2.0","id":1,"method":"status","params":{"pad":"${'x'.repeat(1_100_000)}"}}\n`;
  assert.equal((await c.send(huge)).error.code, -32700);
  assert.equal((await c.send('{"jsonrpc":"2.0","id":2,"method":"status"}\n')).id, 2);
});

test('a client that disconnects mid-request does not disturb the daemon', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const c = await rawClient(home.paths.socket);
  c.socket.write('{"jsonrpc":"2.0","id":1,"method":"load","params":{"model":"gemma-light"}}\n');
  c.socket.destroy();
  await d.events.next((e) => e.type === 'state' && e.to === 'ready', 'the load to finish anyway');
  assert.equal((await d.rpc.request('status')).engine.state, 'ready');
});

test('every connection receives event notifications', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const c = await rawClient(home.paths.socket);
  t.after(() => c.socket.destroy());
  const seen: string[] = [];
  c.socket.on('data', (b) => seen.push(b.toString()));
  await d.rpc.request('load', { model: 'gemma-light' });
  await d.rpc.request('status'); // barrier: the ready event was written before this reply
  await c.send('{"jsonrpc":"2.0","id":9,"method":"status"}\n');
  assert.match(seen.join(''), /"method":"event","params":\{"type":"state".*"to":"ready"/);
});

test('preflight does the seed memory math with sysctl on macOS', async (t) => {
  const GiB = 1024 ** 3;
  const home = makeHome(t, { config: { platform: 'darwin' }, env: { FAKE_SYSCTL_HW_MEMSIZE: String(24 * GiB), FAKE_SYSCTL_IOGPU_WIRED_LIMIT_MB: '0' } });
  const d = await startDaemon(t, home);
  const r = await d.rpc.request('preflight', { model: 'gemma' });
  assert.deepEqual(r, { modelBytes: 16 * GiB, gpuBudgetBytes: 18 * GiB, headroomBytes: 2 * GiB, tight: true, recommend: { contextWindow: 16384, wiredLimitMb: 21504 } });
  const light = await d.rpc.request('preflight', { model: 'gemma-light' });
  assert.equal(light.tight, false);
  const { recorded } = await import('../helpers/daemon.js');
  const calls = recorded(home).filter((l) => l.program === 'sysctl').map((l) => (l.argv as string[]).join(' '));
  assert.ok(calls.includes('-n hw.memsize') && calls.includes('-n iogpu.wired_limit_mb'));
});
