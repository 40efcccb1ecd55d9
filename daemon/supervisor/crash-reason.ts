// Why the engine died, from what its exit and its last words say. Pure.
import type { CrashReason } from '../protocol/protocol.js';

// The engines' out-of-memory words, most specific first:
// - MLX's fatal abort: libc++abi: terminating due to uncaught exception of type std::runtime_error:
//   [METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)
// - llama.cpp (v0.4.0 source): ggml-metal "failed to allocate Metal buffer of N bytes (out of memory)";
//   ggml-cuda "cudaMalloc failed: out of memory" and CUDA_CHECK's "CUDA error: out of memory";
//   llama-kv-cache "failed to allocate buffer for kv cache", llama-context "failed to allocate compute … buffers".
const OOM_PATTERNS: ReadonlyArray<[RegExp, CrashReason]> = [
  [/kIOGPUCommandBufferCallbackErrorOutOfMemory|\[METAL\][^\n]*Insufficient Memory|failed to allocate Metal buffer[^\n]*out of memory/i, 'metal-oom'],
  [/cudaMalloc failed: out of memory|CUDA error: out of memory|CUBLAS_STATUS_ALLOC_FAILED/, 'cuda-oom'],
  [/failed to allocate buffer for kv cache|failed to allocate compute (?:pp |tg )?buffers/, 'alloc-oom'],
];

/** Lines where an engine echoes what it was asked (vllm-mlx's "[REQUEST] last user message
 *  preview: …"): a person quoting an OOM in a prompt must not read as one. */
const ECHO_LINE = /^.*\[REQUEST\].*$/gm;

/** The out-of-memory reason the log's tail shows, or null. */
export function outOfMemoryIn(logTail: string): CrashReason | null {
  const said = logTail.replace(ECHO_LINE, '');
  for (const [re, reason] of OOM_PATTERNS) if (re.test(said)) return reason;
  return null;
}

export interface ExitFacts {
  exitCode: number | null;
  signal: string | null;
  /** The end of engine.log (stdout and stderr together, as the engine wrote them). */
  logTail: string;
  /** Whether /health had said "healthy" for this process. */
  wasReady: boolean;
}

export function classifyExit(f: ExitFacts): CrashReason {
  const oom = outOfMemoryIn(f.logTail);
  if (oom) return oom;
  if (!f.wasReady) return 'startup-error';
  if (f.signal) return 'signal';
  return 'exit';
}

/** The lines worth keeping in lastCrash.detail: the end of the log, bounded. */
export function tailLines(text: string, maxLines = 30, maxChars = 4000): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  const tail = lines.slice(-maxLines).join('\n');
  return tail.length > maxChars ? tail.slice(-maxChars) : tail;
}
