// Why the engine died, from what its exit and its last words say. Pure.
import type { CrashReason } from '../protocol/protocol.js';
export { outOfMemoryIn } from '../engine/engine-text.js';

export interface ExitFacts {
  exitCode: number | null;
  signal: string | null;
  /** The end of engine.log (stdout and stderr together, as the engine wrote them). */
  logTail: string;
  /** Whether /health had said "healthy" for this process. */
  wasReady: boolean;
}

/** `outOfMemory`: the engine kind's own reading of its log. */
export function classifyExit(f: ExitFacts, outOfMemory: (logTail: string) => CrashReason | null): CrashReason {
  const oom = outOfMemory(f.logTail);
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
