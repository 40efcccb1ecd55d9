// The stable Anthropic-API endpoint on 127.0.0.1:$CCLOCAL_PORT. It stays up while the engine
// starts, crashes, restarts or is swapped; Claude Code never sees a dead port. Node's own http:
// this sits on every token's path, so no framework.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { NEVER } from '../durations.js';
import { DaemonError } from '../errors.js';
import type { CrashReason, DaemonEvent, EngineState, SessionCount, StatusResult } from '../protocol/protocol.js';
import { LiveFeed } from './live-feed.js';
import { pageRoute } from './page-routes.js';
import type { ReadyEngine, RunEnd } from '../supervisor/supervisor.js';
import { RunEnds } from './run-ends.js';
import { STOPPING_MESSAGE } from './relay.js';
import { credentialsRefused, CREDENTIAL_STATUSES } from './relay-request.js';
import { engineErrorMessage, errorBody, typeForStatus, type AnthropicErrorType } from './anthropic-errors.js';
import { isLoopbackHost, isLoopbackOrigin } from './loopback-host.js';
import { handleMessages, engineHeaders, NO_RETRY, type MessagesDeps } from './messages.js';
import { RequestQueue } from './queue.js';
import { shapeForEngine } from './request-rewrite.js';
import { TokenBounds } from './token-bound.js';
import { newStats, type EndpointStats } from './stats.js';
import { createMetrics, type MetricsView } from './metrics.js';
import { SessionCounts } from './session-counts.js';
import type { RequestRecord } from './request-record.js';

/** Largest request body accepted (a long Claude Code session with big tool results is a few MB). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** How long a broken request waits for the supervisor to say how the run ended. */
const CRASH_NOTICE_MS = 3000;
/** The engine's tokenizer answers in well under a second even for a long session (it skips the
 *  generation lock); past this the count is given up and the engine sees the request. */
const COUNT_TOKENS_TIMEOUT_MS = 30_000;
/** A body this far over the limit is not drained to say 413: the connection is cut. */
const DRAIN_LIMIT_BYTES = 4 * MAX_BODY_BYTES;

export interface EndpointOptions {
  port: number;
  queueMax: number;
  /** These three may be NEVER (durations.ts): no limit. */
  queueTimeoutMs: number;
  firstEventTimeoutMs: number;
  betweenEventsTimeoutMs: number;
  pingIntervalMs: number;
  /** A client's whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** Client connections taken at once (sized by the open-files limit). */
  maxConnections: number;
  /** Requests let through at once (asked at each turn: it follows the engine kind). */
  concurrency(): number;
  awaitReady(skip: ReadonlySet<number>, signal?: AbortSignal): Promise<ReadyEngine>;
  tryReady(skip: ReadonlySet<number>): ReadyEngine | null;
  reportWedged(gen: number, detail: string): void;
  reportFailed(gen: number, why: string): void;
  flipAuth(gen: number): boolean;
  engineView(): { state: EngineState; model: string | null; contextWindow: number };
  /** What /metrics reads at scrape time; else engineView(), without memory. */
  metricsView?(): MetricsView;
  /** What the status page shows of the daemon and its engine (status without the endpoint part). */
  pageStatus?(): Pick<StatusResult, 'daemon' | 'engine'>;
  /** Every finished Messages request, after the metrics and the session counts took it. */
  onRecord?(record: RequestRecord): void;
  log: Logger;
}

export interface Endpoint {
  url: string;
  stats(): EndpointStats;
  /** The supervisor ended engine run `gen` (a crash, an unload, a swap): the words a client mid-answer hears. */
  runEnded(gen: number, end: RunEnd): void;
  /** The recent Claude Code sessions and their agents' counts, for `status`. */
  sessions(): SessionCount[];
  /** Every daemon event (run.ts's emit): crashes are counted in /metrics. */
  onEvent(e: DaemonEvent): void;
  /** Stops taking requests; each open answer ends with an error event that says cclocald is
   *  stopping and each waiting request gets 503, given up to `drainMs` to be written. */
  close(drainMs: number): Promise<void>;
}

/** DNS rebinding and browser pages: only loopback names, and no foreign Origin. */
export function refusal(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (host !== undefined && !isLoopbackHost(host)) return `Host ${host} is not a loopback name`;
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) return `Origin ${origin} is not allowed`;
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
    const up = engine.transport.request(engine.url, '/v1/messages/count_tokens', { method: 'POST', headers: { ...headers, ...engine.auth }, signal }, (r) => {
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
  const noSkip: ReadonlySet<number> = new Set();
  const stats = newStats();
  const runEnds = new RunEnds(CRASH_NOTICE_MS);
  const stopping = new AbortController();
  const metrics = createMetrics({ queue, view: o.metricsView ?? (() => ({ ...o.engineView(), memory: null })) });
  const sessions = new SessionCounts();
  const feed = o.pageStatus ? new LiveFeed(o.pageStatus) : null;
  let lastCrash: CrashReason | null = null;
  const onRecord = (r: RequestRecord) => { metrics.record(r); sessions.record(r); feed?.record(r); o.onRecord?.(r); };
  const countTokens = async (engine: ReadyEngine, body: string, gone: AbortSignal): Promise<number> => {
    // Counting is a guard, not a gate: if the engine cannot count, let it see the request.
    const r = await askEngineToCount(engine, body, { 'content-type': 'application/json' }, gone);
    if (r?.status !== 200) return 0;
    try { return Number((JSON.parse(r.text) as { input_tokens?: unknown }).input_tokens) || 0; } catch { return 0; }
  };
  const messagesDeps: MessagesDeps = {
    awaitReady: o.awaitReady, tryReady: o.tryReady, reportWedged: o.reportWedged, reportFailed: o.reportFailed, flipAuth: o.flipAuth, whenRunEnded: (gen) => runEnds.when(gen), stopping: stopping.signal, countTokens, tokenBounds: new TokenBounds(), queue, stats,
    queueTimeoutMs: o.queueTimeoutMs, pingIntervalMs: o.pingIntervalMs, timeouts: { firstEventMs: o.firstEventTimeoutMs, betweenEventsMs: o.betweenEventsTimeoutMs },
    onRecord, log: o.log,
  };

  // Answers still being written, so a stop can wait for their last words.
  const open = new Set<ServerResponse>();
  let drained: (() => void) | null = null;
  const server: Server = createServer({ connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(o.requestTimeoutMs / 4))) }, (req, res) => {
    open.add(res);
    res.on('close', () => { open.delete(res); if (open.size === 0) drained?.(); });
    void handle(req, res);
  });
  const handle = (req: IncomingMessage, res: ServerResponse) => route(req, res).catch((err: unknown) => {
    o.log.error({ err, trigger: 'http' }, 'endpoint handler failed');
    if (!res.headersSent) sendError(res, 500, 'api_error', 'internal error in cclocald; see logs/daemon.log');
    else res.end();
  });
  server.keepAliveTimeout = 65_000;
  // A client has requestTimeoutMs to send its whole request; a connection that holds a half-sent
  // body (or no headers) holds a file descriptor, and enough of them starve every spawn. The
  // answer's own time is not bounded by it: a long prefill starts after the body is whole.
  server.requestTimeout = o.requestTimeoutMs;
  server.headersTimeout = o.requestTimeoutMs;
  // Past the cap a connection is closed as it arrives, never a failed spawn or socket later.
  server.maxConnections = o.maxConnections;

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const why = refusal(req);
    if (why) { sendError(res, 403, 'permission_error', `refused: ${why}; cclocald answers local clients only`); return; }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    // The live status page, for a browser (GET / with Accept: text/html) and its event stream.
    if (feed && pageRoute(req, res, path, feed)) return;
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') { send(res, 200, { service: 'cclocald', endpoint: 'anthropic-messages' }); return; }
    // Claude Code's connection warm-up (llm-gateway-protocol, "Optional endpoints"): at once, in any engine state.
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/api/hello') { send(res, 200, { ok: true }); return; }
    if (req.method === 'GET' && path === '/health') {
      const e = o.engineView();
      send(res, e.state === 'ready' ? 200 : 503, { status: e.state === 'ready' ? 'healthy' : e.state, engine: e });
      return;
    }
    // Prometheus text format, behind the same Host and Origin checks as every route.
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metrics') {
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text);
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
    const cut = AbortSignal.any([gone.signal, stopping.signal]);
    const waited = o.queueTimeoutMs === NEVER ? cut : AbortSignal.any([cut, AbortSignal.timeout(o.queueTimeoutMs)]);
    try { engine = await o.awaitReady(noSkip, waited); } catch (err) {
      if (gone.signal.aborted) return;
      if (stopping.signal.aborted) { sendError(res, 503, 'api_error', STOPPING_MESSAGE); return; }
      if (err instanceof DaemonError) sendError(res, 503, 'api_error', err.message, NO_RETRY);
      else sendError(res, 529, 'overloaded_error', 'no engine became ready in time; retry shortly');
      return;
    }
    body.model = engine.model;
    shapeForEngine(body);
    const r = await askEngineToCount(engine, JSON.stringify(body), engineHeaders(req, engine.forwardHeaders), gone.signal);
    if (gone.signal.aborted) return;
    if (!r) sendError(res, 529, 'overloaded_error', `${engine.label} did not answer the count; retry shortly`);
    else if (r.status === 200) res.writeHead(200, { 'content-type': 'application/json' }).end(r.text);
    // A remote that refuses cclocald's token: the daemon's problem, not a 401 that means "log in".
    else if (engine.failover && CREDENTIAL_STATUSES.has(r.status)) sendError(res, 502, 'api_error', `${engine.label} ${credentialsRefused(r.status, r.text, engine.scrub)}`, NO_RETRY);
    else sendError(res, r.status, typeForStatus(r.status), engine.scrub(engineErrorMessage(r.text)));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: a local model server must not be reachable from the network.
    server.listen(o.port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  // An accept that fails (EMFILE under fd pressure) is an `error` on the server: without a
  // listener it would be the daemon's uncaught exception. The connection is lost, nothing else.
  server.on('error', (err) => o.log.warn({ err: err.message, trigger: 'http' }, 'could not accept a connection'));
  return {
    url: `http://127.0.0.1:${o.port}`,
    stats: () => ({ ...stats, queueDepth: queue.depth, inFlight: queue.active }),
    runEnded: (gen, end) => runEnds.ended(gen, end),
    sessions: () => sessions.list(),
    onEvent: (e) => {
      // A restart is counted under the reason of the crash it follows (a crash given up is none).
      if (e.type === 'crash') lastCrash = e.reason;
      if (e.type === 'restart' && lastCrash) metrics.countCrash(lastCrash);
      feed?.event(e);
    },
    close: async (drainMs) => {
      feed?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      stopping.abort();
      server.closeIdleConnections();
      if (open.size > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, drainMs);
          drained = () => { clearTimeout(t); resolve(); };
        });
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
