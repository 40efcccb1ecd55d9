// Claude Code documents a watchdog that aborts a stream with no parsed SSE event for 300 s
// (code.claude.com/docs/en/network-config "Streaming idle watchdogs") and then sends the request
// again, which would double a long prefill; 2.1.332 did not fire it here on a silent 330 s
// prefill, but the gateway contract asks for pings, and other releases or settings may. SSE
// comments such as vllm-mlx's ": heartbeat" are not events, and the relay holds message_start
// back through the prefill so that a crash there can be retried unseen. So while a streamed request waits (queue, engine load or restart, held
// preamble), the client gets Anthropic's own `ping` event. The first goes out only after a quiet
// interval: an answer that comes quickly keeps its plain HTTP status (a 400 "prompt is too long",
// a 529), as Claude Code expects.
import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' };
export const PING_EVENT = 'event: ping\ndata: {"type": "ping"}\n\n';

export interface KeepAlive {
  /** No more pings: the answer's own events have begun, or the request is over. */
  stop(): void;
  readonly pings: number;
}

export function keepAlive(res: ServerResponse, intervalMs: number): KeepAlive {
  let pings = 0;
  const timer = setInterval(() => {
    if (res.writableEnded || res.destroyed) { clearInterval(timer); return; }
    if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
    res.write(PING_EVENT);
    pings++;
  }, intervalMs);
  return { stop: () => clearInterval(timer), get pings() { return pings; } };
}
