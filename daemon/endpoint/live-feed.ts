// What the status page shows, and its live stream (GET /events, server-sent events): the
// engine's state, recent requests and the crash history, kept here as they happen. It reads
// only: nothing here can change the daemon's state. Credentials and prompt text never enter it:
// requests are RequestRecords (timings, outcome), crashes lose the engine log's last lines.
import type { ServerResponse } from 'node:http';
import type { DaemonEvent, StatusResult } from '../protocol/protocol.js';
import type { RequestRecord } from './request-record.js';

/** Recent requests and crashes kept for a page that opens late. */
const KEEP_REQUESTS = 200;
const KEEP_CRASHES = 50;
/** A fresh snapshot (uptime, memory) this often while a page is open. */
const SNAPSHOT_MS = 5000;
const SNAPSHOT_AFTER: ReadonlySet<DaemonEvent['type']> = new Set(['state', 'restart', 'crash', 'contextShrunk', 'contextSet', 'failed', 'upstream']);
/** Unsent bytes past which a page that does not read is dropped. */
const MAX_UNSENT_BYTES = 1024 * 1024;

/** A crash as the page shows it: why, and what the daemon did about it. */
export interface CrashEntry { at: string; model: string; reason: string; exitCode: number | null; signal: string | null; then: string | null }

export interface Snapshot {
  daemon: { version: string; uptimeS: number };
  engine: Pick<StatusResult['engine'], 'kind' | 'state' | 'model' | 'contextWindow' | 'contextShrunkFrom' | 'restarts' | 'memory'> & { upstreams: Array<{ url: string; healthy: boolean; latencyMs: number | null }> | null };
  requests: RequestRecord[];
  crashes: CrashEntry[];
}

/** The events the page follows, without what it must not show (a crash's engine-log lines). */
function forPage(e: DaemonEvent): Record<string, unknown> | null {
  switch (e.type) {
    case 'state': case 'restart': case 'contextShrunk': case 'contextSet': case 'recovered': case 'stopping': return e;
    case 'failed': return { type: e.type, at: e.at, model: e.model };
    case 'upstream': return { type: e.type, at: e.at, url: e.url, healthy: e.healthy, latencyMs: e.latencyMs };
    case 'crash': return { type: e.type, at: e.at, model: e.model, reason: e.reason, exitCode: e.exitCode, signal: e.signal };
    case 'progress': return e;
    default: return null;
  }
}

export class LiveFeed {
  readonly #requests: RequestRecord[] = [];
  readonly #crashes: CrashEntry[] = [];
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly status: () => Pick<StatusResult, 'daemon' | 'engine'>) {}

  snapshot(): Snapshot {
    const s = this.status();
    const e = s.engine;
    return {
      daemon: { version: s.daemon.version, uptimeS: s.daemon.uptimeS },
      engine: {
        kind: e.kind, state: e.state, model: e.model, contextWindow: e.contextWindow, contextShrunkFrom: e.contextShrunkFrom, restarts: e.restarts, memory: e.memory,
        upstreams: e.upstreams?.map((u) => ({ url: u.url, healthy: u.healthy, latencyMs: u.latencyMs })) ?? null,
      },
      requests: this.#requests.slice(-50),
      crashes: this.#crashes.slice(),
    };
  }

  record(r: RequestRecord): void {
    this.#requests.push(r);
    if (this.#requests.length > KEEP_REQUESTS) this.#requests.shift();
    this.#send('request', r);
  }

  event(e: DaemonEvent): void {
    if (e.type === 'crash') {
      this.#crashes.push({ at: e.at, model: e.model, reason: e.reason, exitCode: e.exitCode, signal: e.signal, then: null });
      if (this.#crashes.length > KEEP_CRASHES) this.#crashes.shift();
    }
    // What the daemon did about the last crash: the first word that follows it.
    const last = this.#crashes.at(-1);
    if (last && last.then === null) {
      if (e.type === 'restart') last.then = `restarted it (attempt ${e.attempt}, after ${e.delayMs} ms)`;
      if (e.type === 'contextShrunk') last.then = `halved the window ${e.from} → ${e.to}`;
      if (e.type === 'failed') last.then = 'gave it up';
      if (e.type === 'upstream' && e.healthy) last.then = `an upstream answered again (${e.url})`;
    }
    const shown = forPage(e);
    if (shown) this.#send('daemon', shown);
    // What changes with these (restarts, the window, the crash history and what was done about
    // it): a fresh snapshot at once, so the page derives nothing itself.
    if (SNAPSHOT_AFTER.has(e.type)) this.#send('snapshot', this.snapshot());
  }

  /** GET /events: the snapshot at once, then every request and event as it happens. */
  attach(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    this.#clients.add(res);
    res.on('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0 && this.#timer) { clearInterval(this.#timer); this.#timer = null; }
    });
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#send('snapshot', this.snapshot()), SNAPSHOT_MS);
      this.#timer.unref();
    }
  }

  /** Every open page ends (cclocald is stopping). */
  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    if (this.#timer) { clearInterval(this.#timer); this.#timer = null; }
  }

  #send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const unit = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.#clients) {
      // A page that stopped reading is let go, not buffered for without end.
      if (res.writableLength > MAX_UNSENT_BYTES) { res.destroy(); this.#clients.delete(res); continue; }
      res.write(unit);
    }
  }
}
