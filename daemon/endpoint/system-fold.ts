// Claude Code (since 2.1.154, on custom base URLs by design since 2.1.212) puts `role: "system"`
// entries inside `messages`: its environment block comes right after the person's first prompt.
// Engines hand them to the chat template where they stand, and strict templates (Qwen3.5's,
// Gemma's and Mistral's alternation checks) raise "System message must be at the beginning.",
// so every request fails (vllm-project/vllm#44000, anthropics/claude-code#77698,
// ollama/ollama#17774). No such entry reaches an engine: each is folded, as a text block, into
// the user turn next to it.
//
// Where it goes: into the user message just before it (appended), else the one just after it
// (after its tool results, which Anthropic's API wants first), else a user message of its own.
// Never into the top-level `system`: the entry changes from session to session (dates, paths),
// and moving it there would change the very first bytes of every request, which the engine's
// prefix cache and the endpoint's append-aware token bound both depend on. Folded in place, every
// byte before it stays as it was, turn after turn, because Claude Code keeps the entry where it
// first put it (bench/request-shape.ts measures both ways). Pure.

type Block = Record<string, unknown>;
type Message = { role?: unknown; content?: unknown } & Record<string, unknown>;

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && !Array.isArray(m);
const isRole = (m: unknown, role: string): boolean => isMessage(m) && m.role === role;
const isSystemEntry = (m: unknown): boolean => isRole(m, 'system') || isRole(m, 'developer');

/** Wrapped the way Claude Code marks its own injected context inside user turns. */
export function foldedText(text: string): string {
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

/** The entry as user-turn blocks: its text wrapped, its other blocks (an image) kept as they are;
 *  none for an empty entry. `cache_control` goes: it means nothing to a local engine. */
function foldedBlocks(content: unknown): Block[] {
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content.filter(isMessage) : [];
  const isText = (b: Block) => b.type === 'text' && typeof b.text === 'string';
  const text = blocks.filter(isText).map((b) => b.text as string).join('\n');
  const others = blocks.filter((b) => !isText(b));
  return [...(text.trim() ? [{ type: 'text', text: foldedText(text) }] : []), ...others];
}

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return content.length ? [{ type: 'text', text: content }] : [];
  return Array.isArray(content) ? (content as Block[]) : [];
}

/** `extra` placed after the tool results that open a user turn. */
function withBlocksAfterResults(content: unknown, extra: Block[]): Block[] {
  const blocks = blocksOf(content);
  let at = 0;
  while (at < blocks.length && blocks[at]?.type === 'tool_result') at++;
  return [...blocks.slice(0, at), ...extra, ...blocks.slice(at)];
}

/**
 * Folds every `role: "system"` (or "developer") entry of `messages` into a neighbouring user
 * turn. Returns how many were folded; `body.messages` is replaced only when there were any.
 */
export function foldSystemMessages(body: Record<string, unknown>): number {
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.some(isSystemEntry)) return 0;
  const out: unknown[] = [];
  let folded = 0;
  // Entries waiting for the user turn that follows them (no user turn stood just before).
  let carried: Block[] = [];
  for (const m of messages as unknown[]) {
    if (isSystemEntry(m)) {
      folded++;
      const blocks = foldedBlocks((m as Message).content);
      const prev = out[out.length - 1];
      if (carried.length === 0 && isRole(prev, 'user')) out[out.length - 1] = { ...(prev as Message), content: [...blocksOf((prev as Message).content), ...blocks] };
      else carried.push(...blocks);
      continue;
    }
    if (carried.length && isRole(m, 'user')) { out.push({ ...(m as Message), content: withBlocksAfterResults((m as Message).content, carried) }); carried = []; continue; }
    if (carried.length) { out.push({ role: 'user', content: carried }); carried = []; }
    out.push(m);
  }
  if (carried.length) out.push({ role: 'user', content: carried });
  body.messages = out;
  return folded;
}
