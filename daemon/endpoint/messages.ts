// POST /v1/messages: queue → wait for a ready engine → rewrite → enforce the context window →
// relay, retrying once when the engine died before the answer started. One log line per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { DaemonError } from '../errors.js';
import type { ReadyEngine } from '../supervisor/supervisor.js';
import { errorBody, errorEvent, promptTooLong, type AnthropicErrorType } from './anthropic-errors.js';
import { QueueAbortedError, QueueFullError, QueueTimeoutError, type RequestQueue } from './queue.js';
import { relay, type RelayOutcome, type RelayTimeouts } from './relay.js';
import { mightExceed, stripAttribution } from './request-rewrite.js';
import type { newStats } from './stats.js';

export interface MessagesDeps {
  awaitReady(notGen?: number): Promise<ReadyEngine>;
  reportWedged(detail: string): void;
  /** The reason of a crash noticed since `sinceMs`, waiting a bounded time for it. */
  crashReasonSince(sinceMs: number): Promise<string | null>;
  countTokens(engine: ReadyEngine, body: string): Promise<number>;
  queue: RequestQueue;
  queueTimeoutMs: number;
  timeouts: RelayTimeouts;
  stats: ReturnType<typeof newStats>;
  log: Logger;
}

/** Headers the engine may see; credentials (x-api-key, authorization) never leave this process. */
export function engineHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json' };
  for (const h of ['accept', 'anthropic-version', 'anthropic-beta']) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

function sendError(res: ServerResponse, status: number, type: AnthropicErrorType, message: string, stream: boolean): void {
  if (res.headersSent) { res.end(stream ? errorEvent(type, message) : undefined); return; }
  res.writeHead(status, { 'content-type': 'application/json' }).end(errorBody(type, message));
}

function daemonErrorToHttp(err: unknown): [number, AnthropicErrorType, string] {
  if (err instanceof QueueFullError) return [529, 'overloaded_error', `cclocald's queue is full (${err.message}); retry shortly`];
  if (err instanceof QueueTimeoutError) return [529, 'overloaded_error', `the local engine is busy (${err.message}); retry shortly`];
  if (err instanceof DaemonError) return [503, 'api_error', `${err.message}${err.data.hint ? ` — ${err.data.hint}` : ''}`];
  return [500, 'api_error', 'internal error in cclocald; see logs/daemon.log'];
}

export async function handleMessages(d: MessagesDeps, req: IncomingMessage, res: ServerResponse, raw: string, path: string): Promise<void> {
  const started = Date.now();
  d.stats.requests++;
  let body: Record<string, unknown>;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    d.stats.errors++;
    sendError(res, 400, 'invalid_request_error', 'the request body is not a JSON object', false);
    return;
  }
  const stream = body.stream === true;
  const requested = typeof body.model === 'string' ? body.model : null;
  stripAttribution(body);
  const gone = new AbortController();
  res.on('close', () => { if (!res.writableFinished) gone.abort(); });

  let release: (() => void) | null = null;
  let outcome: RelayOutcome | null = null;
  let served: string | null = null;
  let queueWaitMs = 0;
  let status = 200;
  try {
    const deadline = started + d.queueTimeoutMs;
    release = await d.queue.acquire(d.queueTimeoutMs, gone.signal);
    queueWaitMs = Date.now() - started;
    let notGen: number | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const engine = await withDeadline(d.awaitReady(notGen), deadline);
      served = engine.model;
      body.model = engine.model;
      const text = JSON.stringify(body);
      if (mightExceed(Buffer.byteLength(text), engine.contextWindow)) {
        const tokens = await d.countTokens(engine, text);
        if (tokens > engine.contextWindow) {
          d.stats.rejectedTooLong++;
          status = 400;
          sendError(res, 400, 'invalid_request_error', promptTooLong(tokens, engine.contextWindow), false);
          return;
        }
      }
      const failedAt = Date.now();
      outcome = await relay({
        engineUrl: engine.url, path, body: text, headers: engineHeaders(req), stream, timeouts: d.timeouts,
        crashReason: () => d.crashReasonSince(failedAt), now: Date.now,
      }, res, gone.signal);
      if (outcome.kind !== 'retryable') break;
      // Retry on the restarted engine if it crashed; on the same one if it did not.
      const crashed = await d.crashReasonSince(failedAt);
      if (attempt === 0) { d.stats.retries++; notGen = crashed ? engine.gen : undefined; continue; }
      status = 529;
      sendError(res, 529, 'overloaded_error', `the local engine failed twice before answering (${crashed ?? outcome.why}); retry shortly`, stream);
    }
    if (outcome?.kind === 'wedged') { d.stats.wedged++; d.reportWedged(outcome.detail); }
    if (outcome?.kind === 'done') status = outcome.status;
    if (outcome?.kind === 'broken' || outcome?.kind === 'wedged') status = 529;
  } catch (err) {
    if (err instanceof QueueAbortedError) { status = 499; return; }
    const [s, type, message] = daemonErrorToHttp(err);
    status = s;
    if (s === 500) d.log.error({ err, trigger: 'http' }, 'request failed');
    sendError(res, s, type, message, stream);
  } finally {
    release?.();
    if (status >= 400 && status !== 499) d.stats.errors++;
    const o = outcome && 'firstEventAt' in outcome ? outcome : null;
    d.log.info({
      trigger: 'http', requested, model: served, stream, status, queueWaitMs,
      ttfbMs: o?.firstEventAt ? o.firstEventAt - started : null, durationMs: Date.now() - started,
      events: o?.events ?? 0, outcome: outcome?.kind ?? null,
    }, 'messages request');
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) return Promise.reject(new QueueTimeoutError('no engine became ready in time'));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new QueueTimeoutError('no engine became ready in time')), left);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}
