// "No data leaves your machine", proven: a whole scripted cclocal session (WebFetch of a page the
// person asked for, then a Write) with the real Claude Code CLI, its HTTP(S) traffic sent through
// a recording proxy on loopback and every connect(2) of the session traced with strace. The only
// connections are to loopback: the endpoint, and the page that was asked for.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CLAUDE_UNDER_TEST, makeHome, recorded, ROOT, runProgram, startDaemon } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const CCLOCAL = join(ROOT, 'bin', 'cclocal');
const PAGE_TEXT = 'kumquat-7391: the page the person asked for';

async function listen(t: TestContext, server: Server | HttpsServer, tunnels: Set<Socket> = new Set()): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // A CONNECT tunnel's sockets have left the HTTP server's books: closed by hand.
  onCleanup(t, () => new Promise<void>((resolve) => { for (const s of tunnels) s.destroy(); server.closeAllConnections(); server.close(() => resolve()); }));
  return (server.address() as AddressInfo).port;
}

/** A forward proxy that records every target and forwards to loopback only (plain requests and
 *  CONNECT tunnels alike); anything else is refused. */
function recordingProxy(seen: string[], tunnels: Set<Socket>): Server {
  const proxy = createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    seen.push(`${req.method} ${target.host}`);
    if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') { res.writeHead(502).end('not forwarded'); return; }
    const up = httpRequest(target, { method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  proxy.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1' && host !== 'localhost') { socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'); return; }
    tunnels.add(socket as Socket);
    const up = connect(Number(port), '127.0.0.1', () => { socket.write('HTTP/1.1 200 Connection Established\r\n\r\n'); up.write(head); up.pipe(socket); socket.pipe(up); });
    tunnels.add(up);
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return proxy;
}

/** Every AF_INET/AF_INET6 address the traced processes tried to connect to, as host:port. */
function connectTargets(trace: string): string[] {
  const out = new Set<string>();
  for (const m of trace.matchAll(/connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\),.*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")/g)) out.add(`${m[2] ?? m[3]}:${m[1]}`);
  return [...out];
}

test('a whole session connects to nothing but loopback: the proxy sees no other host and strace no other address', async (t) => {
  assert.equal(spawnSync('strace', ['-V']).status, 0, 'strace is installed (.ci/run installs it)');
  const home = makeHome(t);
  // WebFetch upgrades http:// to https://, so the page is served over TLS with a certificate made
  // here, which claude is told to trust (NODE_EXTRA_CA_CERTS, as Claude Code documents).
  const key = join(home.dir, 'page-key.pem');
  const cert = join(home.dir, 'page-cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const page = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><p>${PAGE_TEXT}</p></body></html>`));
  const pagePort = await listen(t, page);
  const seen: string[] = [];
  const tunnels = new Set<Socket>();
  const proxyPort = await listen(t, recordingProxy(seen, tunnels), tunnels);
  const target = join(home.dir, 'summary.txt');
  home.env.FAKE_VLLM_RECORD_BODIES = '1';
  home.env.FAKE_VLLM_SCRIPT = JSON.stringify([
    { name: 'WebFetch', input: { url: `https://127.0.0.1:${pagePort}/fruit.html`, prompt: 'what does the page say?' } },
    { name: 'Write', input: { file_path: target, content: 'fetched' } },
  ]);
  // The daemon first, so that strace follows only the session: cclocal, then claude.
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const trace = join(home.dir, 'connect.trace');
  const proxy = `http://127.0.0.1:${proxyPort}`;
  const r = await runProgram('strace', ['-f', '-qq', '-e', 'trace=connect', '-o', trace, CCLOCAL, '--', '-p', `fetch https://127.0.0.1:${pagePort}/fruit.html and note it in ${target}`], {
    cwd: home.dir,
    env: { ...home.env, CCLOCAL_CLAUDE_BIN: CLAUDE_UNDER_TEST, NODE_EXTRA_CA_CERTS: cert, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: '', no_proxy: '' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'fetched');
  // WebFetch really fetched the page (no preflight to api.anthropic.com stood in its way) and
  // handed it to the local model.
  const bodies = recorded(home).filter((e) => e.event === 'request').map((e) => String(e.raw));
  const results = JSON.stringify(recorded(home).filter((e) => e.event === 'request').map((e) => e.toolResults));
  assert.ok(bodies.some((b) => b.includes('kumquat-7391')), `the page text reached the local model; tool results: ${results}; proxy: ${seen.join(', ')}`);
  assert.ok(!bodies.some((b) => b.includes('Unable to verify if domain')), 'no domain check blocked the fetch');
  const targets = connectTargets(readFileSync(trace, 'utf8'));
  t.diagnostic(`connect(2) targets: ${targets.join(', ')}; through the proxy: ${[...new Set(seen)].join(', ') || 'nothing'}`);
  assert.ok(targets.length > 0, 'the trace saw the session connect');
  assert.deepEqual(targets.filter((a) => !a.startsWith('127.') && a !== '::1' && !a.startsWith('::1:') && !a.startsWith('::ffff:127.')), [], 'only loopback addresses');
  // No name was even looked up: a DNS query (port 53) counts as a try, whatever the resolver's
  // address (a local stub resolver listens on 127.0.0.53).
  assert.deepEqual(targets.filter((a) => a.endsWith(':53')), [], 'no DNS lookups');
  assert.deepEqual(seen.filter((s) => !/ (127\.0\.0\.1|localhost):\d+$/.test(s)), [], 'the proxy saw no other host');
});
