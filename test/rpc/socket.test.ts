// Whatever a peer writes on the control socket, it gets the JSON-RPC error for it and both the
// connection and the daemon go on.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { readLines } from '../../daemon/protocol/framing.js';
import { makeHome, startDaemon } from '../helpers/daemon.js';

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
