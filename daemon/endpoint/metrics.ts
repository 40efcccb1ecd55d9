// GET /metrics: the endpoint's Prometheus metrics, named after vLLM's (`vllm:…` → `cclocal:…`) so
// a dashboard made for one reads the other. A private registry (prom-client's default one is
// global to the process) and no process metrics: this measures requests and the engine, not the
// daemon's own Node. Request metrics come from each RequestRecord; the gauges are read at scrape
// time from the queue and the engine's view, so nothing polls between scrapes.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ENGINE_STATES, type CrashReason, type EngineState, type StatusResult } from '../protocol/protocol.js';
import type { RequestRecord } from './request-record.js';

export const PREFIX = 'cclocal:';

/** What the scrape-time gauges read. */
export interface MetricsView {
  state: EngineState;
  contextWindow: number;
  /** As the engine reports it (vllm-mlx's /v1/status, in GiB); null when it reports none. */
  memory: StatusResult['engine']['memory'];
}

/** Every crash reason, so each restart series exists (at 0) from the first scrape. */
const CRASH_REASONS: Record<CrashReason, true> = {
  'metal-oom': true, 'cuda-oom': true, 'alloc-oom': true, wedged: true, 'startup-error': true, 'startup-timeout': true, signal: true, exit: true, unreachable: true,
};

// Local models: a long prompt's prefill takes minutes on a laptop, a short one well under a second.
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
const E2E_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200];
const QUEUE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TPS_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300];

const GIB = 2 ** 30;

export interface EndpointMetrics {
  readonly registry: Registry;
  /** The scrape's content type (the Prometheus text format, 0.0.4). */
  readonly contentType: string;
  record(r: RequestRecord): void;
  /** One restart after a crash of this reason. */
  countCrash(reason: CrashReason): void;
  text(): Promise<string>;
}

export function createMetrics(o: { queue: { readonly depth: number; readonly active: number }; view(): MetricsView }): EndpointMetrics {
  const registry = new Registry();
  const registers = [registry];
  const name = (n: string) => PREFIX + n;

  const ttft = new Histogram({ name: name('time_to_first_token_seconds'), help: 'Streamed requests: arrival to the first generated event (queue wait and prefill).', buckets: TTFT_BUCKETS, registers });
  const prefill = new Histogram({ name: name('request_prefill_time_seconds'), help: 'Streamed requests: time to first token less the queue wait.', buckets: TTFT_BUCKETS, registers });
  const tps = new Histogram({ name: name('generation_tokens_per_second'), help: 'Streamed requests: output tokens over the time from the first generated event to the end.', buckets: TPS_BUCKETS, registers });
  const e2e = new Histogram({ name: name('e2e_request_latency_seconds'), help: 'Requests that reached an engine: arrival to the end of the answer.', buckets: E2E_BUCKETS, registers });
  const queueTime = new Histogram({ name: name('request_queue_time_seconds'), help: 'Requests that got a turn: time waiting in the queue.', buckets: QUEUE_BUCKETS, registers });
  const requests = new Counter({ name: name('requests_total'), help: 'Messages requests by the HTTP status the client got (499: it left first).', labelNames: ['status'] as const, registers });
  const tooLong = new Counter({ name: name('prompt_too_long_total'), help: 'Requests refused as "prompt is too long" (by the window guard or the engine).', registers });
  const restarts = new Counter({ name: name('engine_restarts_total'), help: 'Engine crashes the daemon handled, by crash reason.', labelNames: ['reason'] as const, registers });
  for (const reason of Object.keys(CRASH_REASONS)) restarts.inc({ reason }, 0);

  new Gauge({ name: name('num_requests_waiting'), help: 'Requests waiting in the queue for a turn.', registers, collect() { this.set(o.queue.depth); } });
  new Gauge({ name: name('num_requests_running'), help: 'Requests holding a turn (at the engine, or waiting for it to be ready).', registers, collect() { this.set(o.queue.active); } });
  new Gauge({
    name: name('engine_state'), help: 'The engine state: 1 for the current one, 0 for the others.', labelNames: ['state'] as const, registers,
    collect() { const now = o.view().state; for (const state of ENGINE_STATES) this.set({ state }, state === now ? 1 : 0); },
  });
  new Gauge({ name: name('context_window_tokens'), help: 'The prompt-token window the endpoint enforces.', registers, collect() { this.set(o.view().contextWindow); } });
  new Gauge({
    name: name('engine_memory_bytes'), help: 'Engine memory as the engine reports it (vllm-mlx: Metal active, peak and cache); absent when it reports none.', labelNames: ['kind'] as const, registers,
    collect() {
      this.reset();
      const m = o.view().memory;
      if (!m) return;
      this.set({ kind: 'active' }, Math.round(m.activeGB * GIB));
      this.set({ kind: 'peak' }, Math.round(m.peakGB * GIB));
      this.set({ kind: 'cache' }, Math.round(m.cacheGB * GIB));
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    record(r) {
      requests.inc({ status: String(r.status) });
      if (r.tooLong) tooLong.inc();
      // `outcome` is set once the request reached an engine; a refusal by the guard had its turn too.
      const reached = r.outcome !== null;
      if (reached || r.tooLong) queueTime.observe(r.queueWaitMs / 1000);
      if (reached) e2e.observe(r.durationMs / 1000);
      // Only a stream's first event is its first token (a JSON answer's is the whole answer); an
      // error answer (4xx) or the engine's own error event (500) is no token at all. A stream cut
      // after its first token (499, 503, 529) still had it.
      if (!r.stream || r.ttftMs === null || r.events === 0 || r.status === 500 || (r.status >= 400 && r.status < 499)) return;
      ttft.observe(r.ttftMs / 1000);
      prefill.observe(Math.max(0, r.ttftMs - r.queueWaitMs) / 1000);
      const generatingMs = r.durationMs - r.ttftMs;
      if (r.outputTokens !== null && r.outputTokens > 0 && generatingMs > 0) tps.observe(r.outputTokens / (generatingMs / 1000));
    },
    countCrash(reason) { restarts.inc({ reason }); },
    text: () => registry.metrics(),
  };
}
