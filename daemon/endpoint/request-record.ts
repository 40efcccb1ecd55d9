// One answered Messages request as the metrics, `status` and the status page see it: timings and
// outcome, the Claude Code session and agent it came from, never its prompt or its credentials.
export interface RequestRecord {
  /** ms since the epoch when it arrived. */
  at: number;
  /** x-claude-code-session-id / x-claude-code-agent-id (cut to 200 characters), or null. */
  session: string | null;
  agent: string | null;
  model: string | null;
  /** The remote upstream that served it; null for a local engine. */
  upstream: string | null;
  stream: boolean;
  /** The HTTP status the client got (499: it left first). */
  status: number;
  /** The relay's last outcome (done, broken, wedged, stopped, …); null when it never reached one. */
  outcome: string | null;
  queueWaitMs: number;
  /** To the first generated event (the prefill, for a stream); null when there was none. */
  ttftMs: number | null;
  durationMs: number;
  /** Events relayed (a stream's SSE events; 1 for a JSON answer). */
  events: number;
  /** The answer's output tokens as its usage said; null when unknown. */
  outputTokens: number | null;
  /** The request was refused as longer than the window. */
  tooLong: boolean;
}
