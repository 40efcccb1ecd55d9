// Reading what an engine prints: the flags its --help names, and its last words for an
// out-of-memory abort. Each engine kind owns its words (vllm-mlx.ts, llama-server.ts). Pure.
import type { CrashReason } from '../protocol/protocol.js';

/** Patterns and the out-of-memory reason each means, most specific first. */
export type OomWords = ReadonlyArray<readonly [RegExp, CrashReason]>;

/** Lines where an engine echoes what it was asked (vllm-mlx's "[REQUEST] last user message
 *  preview: …"): a person quoting an OOM in a prompt must not read as one. */
const ECHO_LINE = /^.*\[REQUEST\].*$/gm;

/** The out-of-memory reason the log's tail shows, or null. */
export function outOfMemoryIn(logTail: string, words: OomWords): CrashReason | null {
  const said = logTail.replace(ECHO_LINE, '');
  for (const [re, reason] of words) if (re.test(said)) return reason;
  return null;
}

/** Every `--flag` a help text names. */
export function flagsIn(help: string): Set<string> {
  return new Set(help.match(/--[a-z0-9][a-z0-9-]*/g) ?? []);
}

/** Whether the end of an engine's log says its disk is full: Python's OSError errno 28 (vllm-mlx,
 *  huggingface_hub), C's strerror (llama.cpp), Node's code name. */
export function diskFullIn(logTail: string): boolean {
  return /No space left on device|\[Errno 28\]|\bENOSPC\b/.test(logTail);
}
