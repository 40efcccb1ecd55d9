// Why the engine died, from what its exit and its last words say. Pure.
import type { CrashReason } from '../protocol/protocol.js';

// MLX's fatal abort: libc++abi: terminating due to uncaught exception of type std::runtime_error:
// [METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)
const METAL_OOM = [/kIOGPUCommandBufferCallbackErrorOutOfMemory/, /\[METAL\][^\n]*Insufficient Memory/i];

export function isMetalOom(logTail: string): boolean {
  return METAL_OOM.some((re) => re.test(logTail));
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
  if (isMetalOom(f.logTail)) return 'metal-oom';
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
