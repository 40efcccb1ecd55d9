// A loopback "cluster" for the remote-engine tests: real llama-servers (test/helpers/llama.ts
// builds them), a TCP relay that tells the test when a Messages request is on its way (so a kill
// lands exactly between the request and its first token), a TLS terminator with a CA made in the
// test by openssl, and a front that refuses for load before passing requests on.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { onCleanup } from './temp-home.js';

/** A server that does not answer its health route by then is not coming up. */
const UP_DEADLINE_MS = 30_000;

async function listening(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(t, () => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** A free loopback port (for a server that must come back on the same one). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Asks GET /health until it is 200 (a barrier with a deadline, not a sleep). */
export async function untilHealthy(url: string, proc?: ChildProcess, deadlineMs = UP_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`the server at ${url} exited with ${proc.exitCode} before it was healthy`);
    const ok = await fetch(`${url}/health`).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} was not healthy within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LlamaUpstream {
  url: string;
  port: number;
  proc: ChildProcess;
  /** SIGKILL, and its exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

/** A real llama-server on a loopback port of its own. */
export async function llamaUpstream(t: TestContext, o: { bin: string; model: string; ctx?: number; apiKeyFile?: string; port?: number }): Promise<LlamaUpstream> {
  const port = o.port ?? await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['-m', o.model, '--host', '127.0.0.1', '--port', String(port), '-c', String(o.ctx ?? 16384), '--parallel', '1', '--threads', '1', ...(o.apiKeyFile ? ['--api-key-file', o.apiKeyFile] : [])];
  const start = async () => {
    const p = spawn(o.bin, args, { stdio: 'ignore', detached: true });
    await untilHealthy(url, p);
    return p;
  };
  const up: LlamaUpstream = {
    url, port, proc: await start(),
    async kill() {
      if (up.proc.exitCode !== null || up.proc.signalCode !== null) return;
      const gone = once(up.proc, 'exit');
      up.proc.kill('SIGKILL');
      await gone;
    },
    async restart() { await up.kill(); up.proc = await start(); },
  };
  onCleanup(t, () => up.kill());
  return up;
}

/** A TCP relay in front of `targetPort`. With `hold` set, the next POST /v1/messages is kept
 *  (not passed on) and announced as 'held'; its connection ends when the target's does. */
export class TcpRelay extends EventEmitter {
  hold = false;
  port = 0;
  get url(): string { return `http://127.0.0.1:${this.port}`; }
  readonly #pairs = new Set<[Socket, Socket]>();

  constructor(readonly targetPort: number) { super(); }

  async start(t: TestContext): Promise<this> {
    const server = createServer((down) => {
      const up = connect(this.targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [down, up];
      this.#pairs.add(pair);
      let held = false;
      down.on('data', (c: Buffer) => {
        if (held) return;
        if (this.hold && c.toString('latin1').startsWith('POST /v1/messages ')) {
          held = true;
          this.hold = false;
          this.emit('held');
          return;
        }
        up.write(c);
      });
      up.on('data', (c: Buffer) => down.write(c));
      const end = () => { this.#pairs.delete(pair); down.destroy(); up.destroy(); };
      for (const s of pair) { s.on('close', end); s.on('error', end); }
    });
    this.port = await listening(t, server);
    onCleanup(t, () => { for (const p of this.#pairs) for (const s of p) s.destroy(); });
    return this;
  }
}

export interface TestCa { caFile: string; certFile: string; keyFile: string }

/** A CA and a certificate it signs for 127.0.0.1 and localhost, made by openssl in `dir`; null
 *  with the reason when openssl is missing. */
export function makeCa(dir: string): TestCa | { unavailable: string } {
  const ssl = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  const v = ssl(['version']);
  if (v.status !== 0) return { unavailable: `openssl is needed to make the test CA (apt-get install openssl): ${v.error?.message ?? v.stderr}` };
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  const steps = [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cclocal test CA'],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'],
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.cnf'],
  ];
  for (const s of steps) {
    const r = ssl(s);
    if (r.status !== 0) throw new Error(`openssl ${s.join(' ')} failed: ${r.stderr}`);
  }
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

/** A TLS terminator: HTTPS on a port of its own, plain TCP to `targetPort` behind it. */
export async function tlsTerminator(t: TestContext, ca: TestCa, targetPort: number): Promise<string> {
  const server = createTlsServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (down) => {
    const up = connect(targetPort, '127.0.0.1');
    down.pipe(up).pipe(down);
    const end = () => { down.destroy(); up.destroy(); };
    down.on('error', end); up.on('error', end); down.on('close', end); up.on('close', end);
  });
  server.on('tlsClientError', () => undefined); // a client that refuses our certificate: its business
  const port = await listening(t, server as unknown as Server);
  return `https://127.0.0.1:${port}`;
}

export interface RecordedRequest { method: string; path: string; headers: IncomingMessage['headers']; body: string }

/** An HTTP front before `target`: `refuse(req)` may answer a request itself (a 429, say); every
 *  other request is passed on whole. Each request is recorded, headers included. */
export async function httpFront(t: TestContext, target: string, refuse: (r: RecordedRequest, res: ServerResponse) => boolean = () => false): Promise<{ url: string; seen: RecordedRequest[] }> {
  const seen: RecordedRequest[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      if (refuse(r, res)) return;
      const up = httpRequest(new URL(r.path, target), { method: r.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(r.body);
    });
  });
  const port = await listening(t, server as unknown as Server);
  return { url: `http://127.0.0.1:${port}`, seen };
}
