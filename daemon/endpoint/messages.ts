// POST /v1/messages: queue → wait for a ready engine → rewrite → enforce the context window →
// relay. When the answer has not started: a local engine that died is tried once more after its
// restart; a remote upstream that cannot be reached is left for the next healthy one, and one that
// refuses for load is asked again (or another is) until its bound. One log line per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { shrunkWindowNote } from '../../common/window-note.js';
import { NEVER } from '../durations.js';
import { DaemonError } from '../errors.js';
import type { ReadyEngine, RunEnd } from '../supervisor/supervisor.js';
import { errorBody, errorEvent, promptTooLong, type AnthropicErrorType } from './anthropic-errors.js';
import { flowOf, QueueAbortedError, QueueFullError, QueueTimeoutError, type RequestQueue } from './queue.js';
import { keepAlive, type KeepAlive } from './keep-alive.js';
import { relay, STOPPING_MESSAGE, type RelayOutcome, type RelayTimeouts } from './relay.js';
import { shapeForEngine } from './request-rewrite.js';
import { freshRetryState, nextStep } from './retry-policy.js';
import type { newStats } from './stats.js';
import type { BodyParts, TokenBounds } from './token-bound.js';
import type { RequestRecord } from './request-record.js';

export interface MessagesDeps {
  /** The ready engine outside `skip` (runs or upstream spells this request saw fail); gives up
   *  (rejects) when `signal` aborts. */
  awaitReady(skip: ReadonlySet<number>, signal: AbortSignal): Promise<ReadyEngine>;
  /** Another engine ready now outside `skip`, without waiting (a remote's next healthy upstream). */
  tryReady(skip: ReadonlySet<number>): ReadyEngine | null;
  /** The engine run `gen` stopped generating while alive. */
  reportWedged(gen: number, detail: string): void;
  /** A request could not reach remote upstream spell `gen` (refused, reset, cut). */
  reportFailed(gen: number, why: string): void;
  /** Remote upstream spell `gen` refused the token: send it in the other header; false if it cannot be. */
  flipAuth(gen: number): boolean;
  /** How engine run `gen` ended, waiting a bounded time for the supervisor to say; null: not (yet) ended. */
  whenRunEnded(gen: number): Promise<RunEnd | null>;
  /** Aborts when cclocald stops: waiting requests get 503, open answers an error event. */
  stopping: AbortSignal;
  /** The engine's count of the prompt's tokens; 0 when it cannot tell. */
  countTokens(engine: ReadyEngine, body: string, signal: AbortSignal): Promise<number>;
  tokenBounds: TokenBounds;
  queue: RequestQueue;
  queueTimeoutMs: number;
  timeouts: RelayTimeouts;
  /** A streamed request that waits gets a `ping` event this often (keep-alive.ts). */
  pingIntervalMs: number;
  stats: ReturnType<typeof newStats>;
  /** Every finished request, for the metrics, `status` and the status page. */
  onRecord?(record: RequestRecord): void;
  log: Logger;
}

/** Headers the engine may see; credentials (x-api-key, authorization) never leave this process.
 *  `also`: the engine's own extra (ReadyEngine.forwardHeaders), never a credential. */
export function engineHeaders(req: IncomingMessage, also: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json' };
  for (const h of ['accept', 'anthropic-version', 'anthropic-beta', ...also]) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

/** The share of the window a cheap bound must stay under to skip the guard's count. */
const BOUND_MARGIN = 0.9;


// Anthropic's SDK (inside Claude Code) retries a 5xx up to ten times unless told not to; a failed
// or unloaded engine will not mend itself in those seconds, so the person sees why at once.
export const NO_RETRY = { 'x-should-retry': 'false' };

function sendError(res: ServerResponse, status: number, type: AnthropicErrorType, message: string, stream: boolean, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.end(stream ? errorEvent(type, message) : undefined); return; }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(errorBody(type, message));
}

function daemonErrorToHttp(err: unknown): [number, AnthropicErrorType, string] {
  if (err instanceof QueueFullError) return [529, 'overloaded_error', `cclocald's queue is full (${err.message}); retry shortly`];
  if (err instanceof QueueTimeoutError) return [529, 'overloaded_error', `the engine is busy (${err.message}); retry shortly`];
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
  shapeForEngine(body);
  const gone = new AbortController();
  res.on('close', () => { if (!res.writableFinished) gone.abort(); });
  // Every wait ends when the client leaves or cclocald stops (the catch below tells them apart).
  const cut = AbortSignal.any([gone.signal, d.stopping]);

  const pinger: KeepAlive | null = stream ? keepAlive(res, d.pingIntervalMs) : null;
  let release: (() => void) | null = null;
  let outcome: RelayOutcome | null = null;
  let served: string | null = null;
  let upstream: string | null = null;
  let queueWaitMs = 0;
  let status = 200;
  let tooLong = false;
  try {
    const deadline = started + d.queueTimeoutMs;
    release = await d.queue.acquire(d.queueTimeoutMs, cut, flowOf(req.headers, body));
    queueWaitMs = Date.now() - started;
    // Runs or upstream spells this request saw fail or refuse: the next try goes elsewhere.
    const skip = new Set<number>();
    const retry = freshRetryState();
    for (;;) {
      const engine = await awaitEngine(d, skip, deadline, cut);
      served = engine.model;
      upstream = engine.failover ? engine.url : null;
      body.model = engine.model;
      const text = JSON.stringify(body);
      const guard = await guardWindow(d, engine, body, text, cut);
      if (guard.over !== null) {
        d.stats.rejectedTooLong++;
        tooLong = true;
        status = 400;
        // An SSE error event when pings have already begun the stream (Claude Code then asks
        // again without streaming, and gets the plain 400).
        sendError(res, 400, 'invalid_request_error', promptTooLong(guard.over, engine.contextWindow, shrunkWindowNote(engine)), stream);
        return;
      }
      // The client may have left while this waited for the engine or the count: nothing to run for.
      if (cut.aborted) throw new QueueAbortedError('the client went away');
      outcome = await relay({
        engineUrl: engine.url, transport: engine.transport, label: engine.label, remote: engine.failover !== null,
        path, body: text, headers: { ...engineHeaders(req, engine.forwardHeaders), ...engine.auth }, stream, timeouts: d.timeouts,
        whyEnded: async () => {
          // A remote's cut is this request's to report: nothing else watches the connection.
          if (engine.failover) d.reportFailed(engine.gen, 'the connection was cut mid-answer');
          return (await d.whenRunEnded(engine.gen))?.why ?? null;
        },
        stopping: d.stopping, now: Date.now, scrub: engine.scrub,
        // Counted alongside the prefill (count_tokens skips the generation lock), off the answer's
        // path, for an engine whose message_start leaves it at 0; else its own figure is kept.
        inputTokens: stream && !engine.streamsPromptTokens ? (guard.counted ?? countAndRemember(d, engine, text, guard.parts(), gone.signal)) : undefined,
        onPromptTokens: (tokens) => d.tokenBounds.remember(guard.parts(), tokens),
        onFlushed: () => pinger?.stop(),
        // The engine's own refusal, in the window Claude Code was told (not the engine's -c).
        overflow: (st, text) => {
          const over = engine.overflow(st, text);
          return over && { tokens: over.tokens, max: Math.min(over.max, engine.contextWindow), note: shrunkWindowNote(engine) };
        },
      }, res, gone.signal);
      if (outcome.kind === 'done' && outcome.tooLong) { d.stats.rejectedTooLong++; tooLong = true; }
      if (outcome.kind === 'wedged') { d.stats.wedged++; d.reportWedged(engine.gen, outcome.detail); }
      const step = nextStep(outcome, {
        failover: engine.failover, label: engine.label, now: Date.now(), canFlipAuth: engine.canFlipAuth,
        ended: outcome.kind === 'retryable' && !engine.failover ? await d.whenRunEnded(engine.gen) : null,
        anotherReady: outcome.kind === 'overloaded' && d.tryReady(new Set([...skip, engine.gen])) !== null,
      }, retry);
      if (step.kind === 'stop') break;
      if (step.kind === 'give-up') {
        status = step.status;
        sendError(res, step.status, step.type, step.message, stream, { ...(step.retryAfterS ? { 'retry-after': String(step.retryAfterS) } : {}), ...(step.noRetry ? NO_RETRY : {}) });
        break;
      }
      if (step.report) d.reportFailed(engine.gen, step.report);
      if (step.flipAuth && !d.flipAuth(engine.gen)) step.leaveOut = true;
      if (step.leaveOut) skip.add(engine.gen);
      if (step.waitMs > 0) await delay(step.waitMs, undefined, { signal: cut }).catch(() => { throw new QueueAbortedError('the client went away'); });
      if (step.clearSkip) skip.clear();
      d.stats.retries++;
    }
    // An engine's own error event ends a 200 stream: still an error the client saw.
    if (outcome?.kind === 'done') status = outcome.engineError ? 500 : outcome.status;
    if (outcome?.kind === 'broken' || outcome?.kind === 'wedged') status = 529;
    if (outcome?.kind === 'stopped') status = 503;
  } catch (err) {
    if (d.stopping.aborted && !gone.signal.aborted) {
      status = 503;
      sendError(res, 503, 'api_error', STOPPING_MESSAGE, stream);
      return;
    }
    if (err instanceof QueueAbortedError) { status = 499; return; }
    const [s, type, message] = daemonErrorToHttp(err);
    status = s;
    if (s === 500) d.log.error({ err, trigger: 'http' }, 'request failed');
    sendError(res, s, type, message, stream, err instanceof DaemonError ? NO_RETRY : {});
  } finally {
    pinger?.stop();
    release?.();
    if (status >= 400 && status !== 499) d.stats.errors++;
    const o = outcome && 'firstEventAt' in outcome ? outcome : null;
    const header = (h: string) => { const v = req.headers[h]; return typeof v === 'string' && v ? v.slice(0, 200) : null; };
    d.onRecord?.({
      at: started, session: header('x-claude-code-session-id'), agent: header('x-claude-code-agent-id'), model: served, upstream, stream, status,
      outcome: outcome?.kind ?? null, queueWaitMs, ttftMs: o?.firstEventAt ? o.firstEventAt - started : null, durationMs: Date.now() - started,
      events: o?.events ?? 0, outputTokens: o?.kind === 'done' ? (o.outputTokens ?? null) : null, tooLong,
    });
    d.log.info({
      trigger: 'http', requested, model: served, ...(upstream ? { upstream } : {}), stream, status, queueWaitMs,
      ttfbMs: o?.firstEventAt ? o.firstEventAt - started : null, durationMs: Date.now() - started,
      events: o?.events ?? 0, pings: pinger?.pings ?? 0, outcome: outcome?.kind ?? null,
    }, 'messages request');
  }
}

/** The ready engine within the request's deadline; gives up when the client leaves. */
async function awaitEngine(d: MessagesDeps, skip: ReadonlySet<number>, deadline: number, gone: AbortSignal): Promise<ReadyEngine> {
  const left = deadline - Date.now();
  if (left <= 0) throw new QueueTimeoutError('no engine became ready in time');
  const signal = left === NEVER ? gone : AbortSignal.any([gone, AbortSignal.timeout(left)]);
  try {
    return await d.awaitReady(skip, signal);
  } catch (err) {
    if (gone.aborted) throw new QueueAbortedError('the client went away');
    if (signal.aborted) throw new QueueTimeoutError('no engine became ready in time');
    throw err;
  }
}

/**
 * The context-window guard: the prompt's token count when it is over the window (`over`), else
 * null; the engine's tokenizer runs only when the cheap bound cannot rule the overflow out, and
 * what it said is kept (`counted`).
 */
async function guardWindow(d: MessagesDeps, engine: ReadyEngine, body: Record<string, unknown>, text: string, gone: AbortSignal): Promise<{ over: number | null; counted: number | null; parts(): BodyParts }> {
  const bodyBytes = Buffer.byteLength(text);
  // Serialized again only when a bound or a remembered count needs the pieces (not for a short
  // request that is not streamed).
  let memo: BodyParts | null = null;
  const parts = () => (memo ??= {
    model: engine.model, bodyBytes,
    systemJson: JSON.stringify(body.system ?? ''), toolsJson: JSON.stringify(body.tools ?? ''), messagesJson: JSON.stringify(body.messages ?? []),
  });
  // A margin under the window: the engine's count_tokens writes tool inputs as ASCII-escaped JSON
  // (Python's json.dumps), where a non-ASCII character can be more tokens than its UTF-8 bytes.
  const safe = engine.contextWindow * BOUND_MARGIN;
  if (bodyBytes <= safe || d.tokenBounds.bound(parts()) <= safe) return { over: null, counted: null, parts };
  d.stats.tokenCounts++;
  const tokens = await countAndRemember(d, engine, text, parts(), gone);
  return { over: tokens > engine.contextWindow ? tokens : null, counted: tokens || null, parts };
}

/** The engine's count, remembered as the base of the next bounds of this conversation. */
async function countAndRemember(d: MessagesDeps, engine: ReadyEngine, text: string, parts: BodyParts, gone: AbortSignal): Promise<number> {
  const tokens = await d.countTokens(engine, text, gone);
  if (tokens > 0) d.tokenBounds.remember(parts, tokens);
  return tokens;
}
