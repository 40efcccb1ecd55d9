// vllm-mlx streams `message_start` with `usage.input_tokens: 0` (it counts the prompt only after
// the prefill it has not done yet). Claude Code sizes its context from that field: left at 0 it
// never compacts, and the prompt grows until the window refuses it (measured with CLI 2.1.197:
// scripts/compact-experiment.ts `interactive`). The endpoint fills it in from the engine's own
// tokenizer. Pure.

/** The message_start unit with `input_tokens` set, or the unit unchanged when the engine gave one. */
export function withInputTokens(unit: Buffer, inputTokens: number): Buffer {
  const text = unit.toString('utf8');
  const dataAt = text.indexOf('\ndata:');
  if (dataAt === -1) return unit;
  const lineEnd = text.indexOf('\n', dataAt + 1);
  const json = text.slice(dataAt + 6, lineEnd === -1 ? undefined : lineEnd).trim();
  let event: { message?: { usage?: { input_tokens?: unknown } } };
  try { event = JSON.parse(json) as typeof event; } catch { return unit; }
  const usage = event.message?.usage;
  if (!usage || (typeof usage.input_tokens === 'number' && usage.input_tokens > 0)) return unit;
  usage.input_tokens = inputTokens;
  return Buffer.from(`${text.slice(0, dataAt)}\ndata: ${JSON.stringify(event)}${lineEnd === -1 ? '' : text.slice(lineEnd)}`);
}

/** The `input_tokens` a message_start unit carries (0 when it has none). */
export function inputTokensOf(unit: Buffer): number {
  const text = unit.toString('utf8');
  const m = /"input_tokens"\s*:\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
