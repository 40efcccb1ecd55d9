// Forwards one Messages request to the engine and the answer back, event by event.
//
// Streams: vllm-mlx sends message_start (and an empty text block) before its prefill, the phase
// where a Metal OOM usually strikes. Those preamble events are held back (heartbeat comments go
// through) until the first generated event, so a crash before it leaves the client with nothing
// to undo and the request is retried once on the restarted engine. After that first event the
// bytes go through unchanged, one write per event; a crash then ends the stream with an
// Anthropic `error` event instead of a hang or a silent truncation.
import { request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { engineErrorMessage, errorBody, errorEvent, typeForStatus } from './anthropic-errors.js';
import { isPreamble, SseScanner, StreamTracker } from './sse-scanner.js';
import { withInputTokens } from './usage-patch.js';

// Keep-alive to the engine: no TCP handshake on every request of a session.
const engineAgent = new Agent({ keepAlive: true, maxSockets: 16 });

export interface RelayTimeouts {
  /** No generated event this long after the request reached the engine: wedged (prefill can take minutes). */
  firstEventMs: number;
  /** No event this long between two events (heartbeat comments do not count): wedged. */
  betweenEventsMs: number;
}

export type RelayOutcome =
  | { kind: 'done'; status: number; events: number; firstEventAt: number | null }
  /** The engine went away before anything generated reached the client: safe to try again.
   *  `staleSocket`: it was a kept-alive connection the engine had closed, not a crash. */
  | { kind: 'retryable'; why: string; staleSocket?: boolean }
  /** The engine went away mid-answer; the client got an error event. */
  | { kind: 'broken'; why: string; events: number; firstEventAt: number | null }
  | { kind: 'wedged'; detail: string; events: number; firstEventAt: number | null };

export interface RelayRequest {
  engineUrl: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  stream: boolean;
  timeouts: RelayTimeouts;
  /** Waits for the supervisor to name why the engine died (bounded). */
  crashReason(): Promise<string | null>;
  now(): number;
  /** The prompt's size for a message_start whose usage the engine left at 0 (see usage-patch.ts):
   *  known already, or being counted beside the prefill. */
  inputTokens?: number | Promise<number>;
}

/** A count still running when the first token is ready holds the answer this long at most. */
const USAGE_WAIT_MS = 5000;
/** A reset this soon after sending on a reused connection is the engine's idle close, not a crash. */
const STALE_SOCKET_MS = 200;

/** The value, or null if it is not there within `ms` (or failed). */
function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, () => { clearTimeout(t); resolve(null); });
  });
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' };

export function relay(req: RelayRequest, res: ServerResponse, clientGone: AbortSignal): Promise<RelayOutcome> {
  if (clientGone.aborted) return Promise.resolve({ kind: 'done', status: 499, events: 0, firstEventAt: null });
  return new Promise((resolve) => {
    let settled = false;
    let events = 0; // preamble events; the tracker counts the rest
    const tracker = new StreamTracker();
    const total = () => events + tracker.events;
    let firstEventAt: number | null = null;
    /** The first generated event has come from the engine. */
    let committed = false;
    /** ...and has been written to the client: only from here is a crash the client's to see. */
    let flushed = false;
    const held: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;

    const finish = (o: RelayOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) { clearTimeout(timer); timer = null; }
      clientGone.removeEventListener('abort', onClientGone);
      resolve(o);
    };
    let armedFor = '';
    const arm = (ms: number, phase: string) => {
      // Re-armed on every chunk of a stream: refresh() keeps one timer instead of making a new one.
      if (timer && armedFor === phase) { timer.refresh(); return; }
      if (timer) { clearTimeout(timer); timer = null; }
      armedFor = phase;
      timer = setTimeout(() => {
        const detail = `no ${phase} from the engine for ${Math.round(ms / 1000)} s (heartbeats do not count)`;
        upstream.destroy();
        if (req.stream) {
          if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
          res.end(errorEvent('overloaded_error', `the local engine stopped generating (${detail}); cclocald is restarting it`));
        } else if (!res.headersSent) {
          res.writeHead(529, { 'content-type': 'application/json' }).end(errorBody('overloaded_error', `the local engine stopped generating (${detail}); cclocald is restarting it`));
        }
        finish({ kind: 'wedged', detail, events: total(), firstEventAt });
      }, ms);
      timer.unref();
    };

    const onClientGone = () => { upstream.destroy(); finish({ kind: 'done', status: 499, events: total(), firstEventAt }); };
    clientGone.addEventListener('abort', onClientGone, { once: true });

    const url = new URL(req.path, req.engineUrl);
    const upstream = httpRequest(url, { method: 'POST', agent: engineAgent, headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) } });
    upstream.setNoDelay(true);

    let gone = false;
    const engineGone = async (why: string) => {
      if (settled || gone) return;
      gone = true;
      if (!flushed) { finish({ kind: 'retryable', why }); return; }
      if (timer) { clearTimeout(timer); timer = null; }
      const reason = await req.crashReason();
      const message = `the local engine stopped mid-answer${reason ? ` (${reason})` : ''}; cclocald is restarting it`;
      if (req.stream) res.end(errorEvent('overloaded_error', message));
      else res.destroy();
      finish({ kind: 'broken', why, events: total(), firstEventAt });
    };

    let answered = false;
    const sentAt = req.now();
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const stale = !answered && upstream.reusedSocket && err.code === 'ECONNRESET' && req.now() - sentAt < STALE_SOCKET_MS;
      if (stale && !settled) { finish({ kind: 'retryable', why: err.message, staleSocket: true }); return; }
      void engineGone(err.message);
    });
    upstream.on('response', (up: IncomingMessage) => {
      answered = true;
      const status = up.statusCode ?? 502;
      const isSse = (up.headers['content-type'] ?? '').startsWith('text/event-stream');
      if (status !== 200 || !isSse) {
        // JSON answers (and every engine error) are whole before anything is sent.
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const raw = Buffer.concat(chunks);
          if (res.headersSent) {
            // A retry after heartbeats were sent: only an SSE error can still be said.
            res.end(errorEvent(typeForStatus(status), engineErrorMessage(raw.toString('utf8'))));
          } else if (status === 200) {
            res.writeHead(200, { 'content-type': up.headers['content-type'] ?? 'application/json' }).end(raw);
          } else {
            res.writeHead(status, { 'content-type': 'application/json' }).end(errorBody(typeForStatus(status), engineErrorMessage(raw.toString('utf8'))));
          }
          finish({ kind: 'done', status, events: status === 200 ? 1 : 0, firstEventAt: req.now() });
        });
        up.on('error', (err) => void engineGone(err.message));
        up.on('aborted', () => void engineGone('aborted'));
        return;
      }
      // The headers leave with the first write (a heartbeat or the first event): one syscall less.
      if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
      const scanner = new SseScanner();
      let startAt = -1; // where message_start sits in `held`
      // Generated bytes held from the first generated event until the prompt's size is known.
      let pending: Buffer[] | null = null;
      let endedWhilePending = false;
      const onEnd = () => {
        if (tracker.sawStop) {
          res.end();
          finish({ kind: 'done', status: 200, events: total(), firstEventAt });
        } else {
          void engineGone('the stream ended without message_stop');
        }
      };
      const flush = (tokens: number | null) => {
        if (settled || !pending) return;
        if (startAt !== -1 && tokens) held[startAt] = withInputTokens(held[startAt]!, tokens);
        res.write(held.length || pending.length > 1 ? Buffer.concat([...held, ...pending]) : pending[0]!);
        pending = null;
        flushed = true;
        arm(req.timeouts.betweenEventsMs, 'event');
        if (endedWhilePending) onEnd();
      };
      // Before the first generated event: whole units, preamble held, comments through.
      const beforeCommit = (chunk: Buffer) => {
        scanner.append(chunk);
        for (let u = scanner.next(); u && !committed; u = scanner.next()) {
          if (u.event === null) { res.write(u.raw); continue; } // a heartbeat comment
          if (isPreamble(u)) { if (u.event === 'message_start') startAt = held.length; held.push(u.raw); events++; continue; }
          committed = true;
          firstEventAt = req.now();
          // From here on bytes pass through as they come, starting with what this chunk still holds.
          const rest = scanner.rest();
          tracker.feed(u.raw);
          if (rest.length) tracker.feed(rest);
          pending = rest.length ? [u.raw, rest] : [u.raw];
          const count = req.inputTokens;
          if (startAt === -1 || count === undefined) flush(null);
          else if (typeof count === 'number') flush(count);
          // Still counting (a very short prefill): what comes meanwhile waits, briefly, in order.
          else void within(count, USAGE_WAIT_MS).then(flush);
        }
      };
      // Chunks parsed from one socket read go out in one write (cork until the current tick ends):
      // a burst costs one syscall, and a lone event still leaves at once.
      let corked = false;
      const afterCommit = (chunk: Buffer) => {
        if (pending) { pending.push(chunk); tracker.feed(chunk); return; }
        if (!corked) {
          corked = true;
          res.cork();
          process.nextTick(() => { corked = false; res.uncork(); });
        }
        res.write(chunk);
        if (tracker.feed(chunk) > 0) arm(req.timeouts.betweenEventsMs, 'event');
      };
      up.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (committed) afterCommit(chunk);
        else beforeCommit(chunk);
      });
      up.on('end', () => {
        if (settled) return;
        if (pending) { endedWhilePending = true; return; }
        onEnd();
      });
      up.on('aborted', () => void engineGone('the engine connection was cut'));
      up.on('error', (err) => void engineGone(err.message));
    });
    arm(req.timeouts.firstEventMs, 'generated event');
    upstream.end(req.body);
  });
}
