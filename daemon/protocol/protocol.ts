// The wire contract between cclocald and its clients (see shared/CONTRACT.md, "Control socket").
// client/ imports from daemon/protocol/ only; nothing here imports the rest of daemon/.

/** Bumped when a method or result changes shape; the client refuses a mismatch. */
export const PROTOCOL_VERSION = 1;

/** The engine kinds cclocald can run (the contract's "Engines"). */
export type EngineKindName = 'vllm-mlx' | 'llama-server' | 'remote';
export const ENGINE_KIND_NAMES: readonly EngineKindName[] = ['vllm-mlx', 'llama-server', 'remote'];
/** The kinds the daemon runs as a process of its own (`remote` fronts servers it does not own). */
export type LocalKindName = Exclude<EngineKindName, 'remote'>;

export type EngineState = 'stopped' | 'downloading' | 'loading' | 'ready' | 'crashed' | 'backoff' | 'failed';
export const ENGINE_STATES: readonly EngineState[] = ['stopped', 'downloading', 'loading', 'ready', 'crashed', 'backoff', 'failed'];

/** Why the engine died. The out-of-memory reasons are named for the memory that ran short (each
 *  halves the model's window): `metal-oom` (Apple GPU: MLX's abort, llama.cpp's Metal buffers),
 *  `cuda-oom` (an NVIDIA GPU), `alloc-oom` (llama.cpp could not allocate its KV cache or compute
 *  buffers, whichever backend). `unreachable`: every upstream of a remote engine stopped
 *  answering (nothing of the daemon's crashed; it probes them again). */
export type CrashReason = 'metal-oom' | 'cuda-oom' | 'alloc-oom' | 'wedged' | 'startup-error' | 'startup-timeout' | 'signal' | 'exit' | 'unreachable';

export const OUT_OF_MEMORY_REASONS: ReadonlySet<CrashReason> = new Set(['metal-oom', 'cuda-oom', 'alloc-oom']);

export interface LastCrash {
  reason: CrashReason;
  /** ISO-8601 time of the crash. */
  at: string;
  /** The last lines the engine wrote before it died (stderr and stdout, as in engine.log). */
  detail: string;
  exitCode: number | null;
  signal: string | null;
}

export interface EngineError {
  /** Why the engine cannot run at all (not a crash): engine-missing, port-in-use, … */
  reason: ErrorReason;
  message: string;
  hint?: string;
}

export interface StatusResult {
  daemon: {
    pid: number;
    version: string;
    protocol: number;
    uptimeS: number;
    home: string;
  };
  engine: {
    /** Which engine kind the daemon runs (or would run for the next load). */
    kind: EngineKindName;
    state: EngineState;
    /** The served model id, or null when nothing is loaded. */
    model: string | null;
    /** Prompt-token budget the endpoint enforces (not vllm-mlx's --max-tokens). */
    contextWindow: number;
    /** The model's default window when contextWindow is below it (an out-of-memory halving, the
     *  memory safeguard, a smaller --ctx), else null: `cclocald load <model> --ctx <it>` raises it. */
    contextShrunkFrom: number | null;
    pid: number | null;
    /** The engine's own loopback URL (the daemon's choice of port). */
    url: string | null;
    /** Automatic restarts since the last load. */
    restarts: number;
    lastCrash: LastCrash | null;
    /** Set when the last load could not start the engine at all. */
    error: EngineError | null;
    /** The engine executable the daemon would run, or null when none is found. */
    bin: string | null;
    /** Download bytes or loading seconds while not ready; totalBytes is the download's size once
     *  known (the Hugging Face hub's figure, else the catalog's estimate: totalIsEstimate), else null. */
    progress: { bytes: number; rateBps: number; loadingS: number; totalBytes: number | null; totalIsEstimate: boolean } | null;
    /** From the engine's /v1/status when it reports it. */
    memory: { activeGB: number; peakGB: number; cacheGB: number } | null;
    /** A remote engine's upstreams, in the order requests try them; absent for a local engine. */
    upstreams?: UpstreamStatus[];
  };
  endpoint: {
    /** Where Claude Code talks: http://127.0.0.1:$CCLOCAL_PORT. */
    url: string;
    requests: number;
    /** Requests answered with an error status (4xx/5xx), client disconnects excluded. */
    errors: number;
    /** Requests retried once because the engine died before answering. */
    retries: number;
    /** Answers cut because the engine stopped generating while alive. */
    wedged: number;
    /** Requests refused as longer than the context window. */
    rejectedTooLong: number;
    /** Requests the window guard had to count before forwarding (the rest were ruled out by a
     *  cheap bound). Streamed answers are also counted beside their prefill, for their usage. */
    tokenCounts: number;
    queueDepth: number;
    inFlight: number;
    /** The last 20 Claude Code sessions that made requests (x-claude-code-session-id), most
     *  recent first; requests without the header are not in it. */
    sessions: SessionCount[];
  };
}

/** One Claude Code session's requests since the daemon started (while it stays among the recent). */
export interface SessionCount {
  session: string;
  requests: number;
  /** Answered with an error status (4xx/5xx), client disconnects excluded. */
  errors: number;
  /** ISO-8601 time its latest request ended. */
  lastAt: string;
  /** Requests by agent (x-claude-code-agent-id; "main" for the main loop, without one), for its
   *  20 most recently active agents. */
  agents: Record<string, number>;
}

/** One server a remote engine fronts, as its last probe or request found it. */
export interface UpstreamStatus {
  url: string;
  healthy: boolean;
  /** The last probe's round trip; null before the first answer. */
  latencyMs: number | null;
  /** Why it is unhealthy (or last failed), in words; null when it never failed. */
  lastError: string | null;
  /** The window it reports for the model (vLLM max_model_len, llama-server n_ctx, max_input_tokens). */
  contextWindow: number | null;
  /** ISO-8601 time of its last probe. */
  checkedAt: string | null;
}

export interface LoadParams {
  /** A catalog name (gemma-light), an alias (light) or a full model id (org/name); for `remote`
   *  the upstream's model id, or "" for the configured one (else the first the upstream lists). */
  model: string;
  /** Prompt-token budget for this model; kept until changed again. */
  contextWindow?: number;
  /** The engine kind to run it on; else the one the daemon runs now. */
  engine?: EngineKindName;
  /** The engine's executable (the client's CCLOCAL_ENGINE_BIN), so a fix needs no daemon restart. */
  engineBin?: string;
}
export interface LoadResult { model: string; contextWindow: number; url: string; kind: EngineKindName }

export interface SetContextParams { contextWindow: number }
export interface SetContextResult { model: string | null; contextWindow: number }

export interface PreflightParams { model: string; engine?: EngineKindName }
export interface PreflightResult {
  modelBytes: number;
  gpuBudgetBytes: number;
  headroomBytes: number;
  /** Under 6 GiB of GPU headroom once the weights are in. */
  tight: boolean;
  recommend: { contextWindow?: number; wiredLimitMb?: number };
}

export type Methods = {
  status(): StatusResult;
  load(params: LoadParams): LoadResult;
  unload(): { stopped: true };
  setContext(params: SetContextParams): SetContextResult;
  preflight(params: PreflightParams): PreflightResult;
  shutdown(): { stopping: true };
};
export type MethodName = keyof Methods;

/** Notifications sent as method "event" (no id) to every connection. */
export type DaemonEvent =
  | { type: 'state'; at: string; from: EngineState; to: EngineState; model: string | null }
  | { type: 'progress'; at: string; model: string; phase: 'downloading' | 'loading'; bytes: number; rateBps: number; loadingS: number; totalBytes: number | null; totalIsEstimate: boolean }
  | { type: 'crash'; at: string; model: string; reason: CrashReason; exitCode: number | null; signal: string | null; stderrTail: string }
  | { type: 'restart'; at: string; model: string; attempt: number; delayMs: number }
  | { type: 'contextShrunk'; at: string; model: string; from: number; to: number }
  | { type: 'contextSet'; at: string; model: string; contextWindow: number }
  | { type: 'failed'; at: string; model: string; message: string }
  | { type: 'recovered'; at: string; model: string | null; action: 'adopted' | 'stopped'; pid: number }
  /** A remote engine's upstream became healthy or unhealthy. */
  | { type: 'upstream'; at: string; url: string; healthy: boolean; latencyMs: number | null; lastError: string | null }
  /** The daemon has begun to stop (SIGTERM, `shutdown`, a fatal error): a connection that closes
   *  after this one, with a request unanswered, was closed by the shutdown, not lost. */
  | { type: 'stopping'; at: string; reason: string };
export type DaemonEventType = DaemonEvent['type'];

export const EVENT_METHOD = 'event';

/** Application error codes, outside -32768..-32000 which JSON-RPC reserves. */
export const ErrorCode = {
  EngineMissing: 1001,
  UnknownModel: 1002,
  PortInUse: 1003,
  DiskFull: 1004,
  EngineFailed: 1005,
  Cancelled: 1006,
  ShuttingDown: 1007,
  NothingLoaded: 1008,
  InvalidParams: -32602,
  Internal: -32603,
} as const;

export type ErrorReason =
  | 'engine-missing' | 'unknown-model' | 'port-in-use' | 'disk-full' | 'engine-failed'
  | 'cancelled' | 'shutting-down' | 'nothing-loaded' | 'invalid-params' | 'internal';

/** The `data` of every application error on the wire. */
export interface ErrorData {
  reason: ErrorReason;
  /** One line a person can act on. */
  hint?: string;
  detail?: Record<string, unknown>;
}
