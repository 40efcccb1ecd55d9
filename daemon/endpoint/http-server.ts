// The stable Anthropic-API endpoint on 127.0.0.1:$CCLOCAL_PORT. It stays up while the engine
// starts, crashes, restarts or is swapped; Claude Code never sees a dead port. Node's own http:
// this sits on every token's path, so no framework.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { DaemonError } from '../errors.js';
import type { DaemonEvent, EngineState } from '../protocol/protocol.js';
import type { ReadyEngine } from '../supervisor/supervisor.js';
import { engineErrorMessage, errorBody, typeForStatus, type AnthropicErrorType } from './anthropic-errors.js';
import { engineAgent } from './engine-connection.js';
import { handleMessages, engineHeaders, NO_RETRY, type MessagesDeps } from './messages.js';
import { RequestQueue } from './queue.js';
import { shapeForEngine } from './request-rewrite.js';
import { TokenBounds } from './token-bound.js';
import { newStats, type EndpointStats } from './stats.js';

/** Largest request body accepted (a long Claude Code session with big tool results is a few MB). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** How long a broken request waits for the supervisor to name the crash. */
const CRASH_NOTICE_MS = 3000;
/** The engine's tokenizer answers in well under a second even for a long session (it skips the
 *  generation lock); past this the count is given up and the engine sees the request. */
const COUNT_TOKENS_TIMEOUT_MS = 30_000;
/** A body this far over the limit is not drained to say 413: the connection is cut. */
const DRAIN_LIMIT_BYTES = 4 * MAX_BODY_BYTES;

export interface EndpointOptions {
  port: number;
  concurrency: number;
  queueMax: number;
  queueTimeoutMs: number;
  firstEventTimeoutMs: number;
  betweenEventsTimeoutMs: number;
  pingIntervalMs: number;
  awaitReady(notGen: number | undefined, signal?: AbortSignal): Promise<ReadyEngine>;
  reportWedged(gen: number, detail: string): void;
  engineView(): { state: EngineState; model: string | null; contextWindow: number };
  onEvent(listener: (e: DaemonEvent) => void): () => void;
  log: Logger;
}

export interface Endpoint {
  url: string;
  stats(): EndpointStats;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1).toLowerCase();
  return hostHeader.split(':')[0]!.toLowerCase();
}

/** DNS rebinding and browser pages: only loopback names, and no foreign Origin. */
export function refusal(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (host !== undefined && !LOOPBACK_HOSTS.has(hostnameOf(host))) return `Host ${host} is not a loopback name`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok = false;
    try { ok = LOOPBACK_HOSTS.has(new URL(origin).hostname.toLowerCase()) || LOOPBACK_HOSTS.has(`[${new URL(origin).hostname}]`); } catch { ok = false; }
    if (!ok) return `Origin ${origin} is not allowed`;
  }
  return null;
}

/** The body, or null when it is over MAX_BODY_BYTES: then the rest is read and dropped, so the
 *  client is still listening when the 413 comes (cutting the upload would show it a reset). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] | null = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DRAIN_LIMIT_BYTES) { req.destroy(); return; }
      if (size > MAX_BODY_BYTES) chunks = null;
      chunks?.push(c);
    });
    req.on('end', () => resolve(chunks ? Buffer.concat(chunks).toString('utf8') : null));
    req.on('error', reject);
    req.on('close', () => { if (!req.complete) reject(new Error('the client went away mid-body')); });
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, type: AnthropicErrorType, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(errorBody(type, message));
}

/** The engine's POST /v1/messages/count_tokens, whole; null when it could not be asked or answer in time. */
function askEngineToCount(engine: ReadyEngine, body: string, headers: Record<string, string>, gone: AbortSignal): Promise<{ status: number; text: string } | null> {
  return new Promise((resolve) => {
    const signal = AbortSignal.any([gone, AbortSignal.timeout(COUNT_TOKENS_TIMEOUT_MS)]);
    const up = httpRequest(new URL('/v1/messages/count_tokens', engine.url), { method: 'POST', headers: { ...headers, ...engine.auth }, signal, agent: engineAgent }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 502, text: Buffer.concat(chunks).toString('utf8') }));
      r.on('error', () => resolve(null));
    });
    up.on('error', () => resolve(null));
    up.end(body);
  });
}

export async function startEndpoint(o: EndpointOptions): Promise<Endpoint> {
  const queue = new RequestQueue(o.concurrency, o.queueMax);
  const stats = newStats();
  let lastCrash: { atMs: number; reason: string } | null = null;
  const crashWaiters = new Set<(reason: string) => void>();
  o.onEvent((e) => {
    if (e.type !== 'crash') return;
    lastCrash = { atMs: Date.parse(e.at), reason: e.reason };
    for (const w of crashWaiters) w(e.reason);
    crashWaiters.clear();
  });
  const crashReasonSince = (sinceMs: number): Promise<string | null> => {
    if (lastCrash && lastCrash.atMs >= sinceMs - 50) return Promise.resolve(lastCrash.reason);
    return new Promise((resolve) => {
      const t = setTimeout(() => { crashWaiters.delete(done); resolve(null); }, CRASH_NOTICE_MS);
      const done = (reason: string) => { clearTimeout(t); resolve(reason); };
      crashWaiters.add(done);
    });
  };
  const countTokens = async (engine: ReadyEngine, body: string, gone: AbortSignal): Promise<number> => {
    // Counting is a guard, not a gate: if the engine cannot count, let it see the request.
    const r = await askEngineToCount(engine, body, { 'content-type': 'application/json' }, gone);
    if (r?.status !== 200) return 0;
    try { return Number((JSON.parse(r.text) as { input_tokens?: unknown }).input_tokens) || 0; } catch { return 0; }
  };
  const messagesDeps: MessagesDeps = {
    awaitReady: o.awaitReady, reportWedged: o.reportWedged, crashReasonSince, countTokens, tokenBounds: new TokenBounds(), queue, stats,
    queueTimeoutMs: o.queueTimeoutMs, pingIntervalMs: o.pingIntervalMs, timeouts: { firstEventMs: o.firstEventTimeoutMs, betweenEventsMs: o.betweenEventsTimeoutMs },
    log: o.log,
  };

  const server: Server = createServer((req, res) => void route(req, res).catch((err: unknown) => {
    o.log.error({ err, trigger: 'http' }, 'endpoint handler failed');
    if (!res.headersSent) sendError(res, 500, 'api_error', 'internal error in cclocald; see logs/daemon.log');
    else res.end();
  }));
  server.keepAliveTimeout = 65_000;
  // A long prefill can keep a request open for many minutes; no server-side request timeout.
  server.requestTimeout = 0;

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const why = refusal(req);
    if (why) { sendError(res, 403, 'permission_error', `refused: ${why}; cclocald answers local clients only`); return; }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') { send(res, 200, { service: 'cclocald', endpoint: 'anthropic-messages' }); return; }
    // Claude Code's connection warm-up (llm-gateway-protocol, "Optional endpoints"): at once, in any engine state.
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/api/hello') { send(res, 200, { ok: true }); return; }
    if (req.method === 'GET' && path === '/health') {
      const e = o.engineView();
      send(res, e.state === 'ready' ? 200 : 503, { status: e.state === 'ready' ? 'healthy' : e.state, engine: e });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const e = o.engineView();
      send(res, 200, { data: e.model ? [{ type: 'model', id: e.model, display_name: e.model, created_at: new Date(0).toISOString(), max_input_tokens: e.contextWindow }] : [], has_more: false, first_id: e.model, last_id: e.model });
      return;
    }
    if (req.method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/count_tokens')) {
      let raw: string | null;
      try { raw = await readBody(req); } catch { return; } // the client left before its request was whole
      if (raw === null) { sendError(res, 413, 'request_too_large', `the request is over ${MAX_BODY_BYTES} bytes`); return; }
      if (path === '/v1/messages') { await handleMessages(messagesDeps, req, res, raw, url.pathname + url.search); return; }
      await countTokensRoute(req, res, raw);
      return;
    }
    sendError(res, 404, 'not_found_error', `${req.method} ${path} is not served by cclocald`);
  };

  /** POST /v1/messages/count_tokens: the engine's tokenizer, with Anthropic's error shapes. */
  const countTokensRoute = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    let body: Record<string, unknown>;
    try { body = JSON.parse(raw) as Record<string, unknown>; } catch { sendError(res, 400, 'invalid_request_error', 'the request body is not JSON'); return; }
    const gone = new AbortController();
    res.on('close', () => { if (!res.writableFinished) gone.abort(); });
    let engine: ReadyEngine;
    try { engine = await o.awaitReady(undefined, AbortSignal.any([gone.signal, AbortSignal.timeout(o.queueTimeoutMs)])); } catch (err) {
      if (gone.signal.aborted) return;
      if (err instanceof DaemonError) sendError(res, 503, 'api_error', err.message, NO_RETRY);
      else sendError(res, 529, 'overloaded_error', 'no engine became ready in time; retry shortly');
      return;
    }
    body.model = engine.model;
    shapeForEngine(body);
    const r = await askEngineToCount(engine, JSON.stringify(body), engineHeaders(req), gone.signal);
    if (gone.signal.aborted) return;
    if (!r) sendError(res, 529, 'overloaded_error', 'the local engine is restarting; retry shortly');
    else if (r.status === 200) res.writeHead(200, { 'content-type': 'application/json' }).end(r.text);
    else sendError(res, r.status, typeForStatus(r.status), engineErrorMessage(r.text));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: a local model server must not be reachable from the network.
    server.listen(o.port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  return {
    url: `http://127.0.0.1:${o.port}`,
    stats: () => ({ ...stats, queueDepth: queue.depth, inFlight: queue.active }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
