// A remote upstream's own "prompt too long" answer → its numbers, so Claude Code hears Anthropic's
// `prompt is too long: N tokens > M maximum` and compacts. llama-server's error object, vLLM's and
// SGLang's sentences (as their servers word them). Pure.
import { overflowFrom } from '../engine/llama-server.js';
import { engineErrorMessage } from '../endpoint/anthropic-errors.js';

const MAX = /maximum (?:context|model) length (?:is |of )(\d+)/i;
const PROMPT = [
  /(\d+) in the messages/i,                    // vLLM: "you requested N tokens (P in the messages, C in the completion)"
  /request has (\d+) input tokens/i,           // vLLM: "your request has P input tokens"
  /prompt \(length (\d+)\) is longer/i,        // vLLM: "The decoder prompt (length P) is longer than the maximum model length of M"
  /prompt contains (?:at least )?(\d+) input tokens/i, // newer vLLM: "your prompt contains [at least] P input tokens"
];
const SGLANG = /Input length \((\d+) tokens\) exceeds the maximum allowed length \((\d+) tokens\)/i;

export function remoteOverflow(status: number, body: string): { tokens: number; max: number } | null {
  const llama = overflowFrom(status, body);
  if (llama) return llama;
  if (status !== 400 && status !== 413) return null;
  const text = engineErrorMessage(body);
  const sg = SGLANG.exec(text);
  if (sg) return { tokens: Number(sg[1]), max: Number(sg[2]) };
  const max = MAX.exec(text);
  if (!max) return null;
  for (const re of PROMPT) {
    const m = re.exec(text);
    // Only a prompt that is itself too long (vLLM refuses one that fills the window exactly): a
    // prompt that fits beside too large a max_tokens is not compaction's to fix, and its wording
    // reaches the client as it is.
    if (m && Number(m[1]) >= Number(max[1])) return { tokens: Number(m[1]), max: Number(max[1]) };
  }
  return null;
}
