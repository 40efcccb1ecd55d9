// Claude Code (since 2.1.154, on custom base URLs by design since 2.1.212) puts `role: "system"`
// entries inside `messages`: its environment block comes right after the person's first prompt.
// Engines hand them to the chat template where they stand, and strict templates (Qwen3.5's,
// Gemma's and Mistral's alternation checks) raise "System message must be at the beginning.",
// so every request fails (vllm-project/vllm#44000, anthropics/claude-code#77698,
// ollama/ollama#17774). No such entry reaches an engine: each is folded, as a text block, into
// the user turn next to it.
//
// Where it goes: into the user message just before it (appended), else the one just after it
// (prepended), else a user message of its own. Never into the top-level `system`: the entry
// changes from session to session (dates, paths), and moving it there would change the very
// first bytes of every request, which the engine's prefix cache and the endpoint's append-aware
// token bound both depend on. Folded in place, every byte before it stays as it was, turn after
// turn, because Claude Code keeps the entry where it first put it. Pure.

type Block = Record<string, unknown>;
type Message = { role?: unknown; content?: unknown } & Record<string, unknown>;

/** Wrapped the way Claude Code marks its own injected context inside user turns. */
export function foldedText(content: unknown): string {
  const text = typeof content === 'string' ? content : Array.isArray(content)
    ? (content as Block[]).filter((b) => b?.type === 'text' && typeof b.text === 'string').map((b) => b.text as string).join('\n')
    : '';
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return content.length ? [{ type: 'text', text: content }] : [];
  return Array.isArray(content) ? (content as Block[]) : [];
}

const isRole = (m: Message | undefined, role: string) => m !== undefined && m.role === role;

/**
 * Folds every `role: "system"` (or "developer") entry of `messages` into a neighbouring user
 * turn. Returns how many were folded; `body.messages` is replaced only when there were any.
 */
export function foldSystemMessages(body: Record<string, unknown>): number {
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.some((m: Message) => isRole(m, 'system') || isRole(m, 'developer'))) return 0;
  const out: Message[] = [];
  let folded = 0;
  // A system entry waiting for the user turn that follows it (no user turn stood before it).
  let carried: Block[] = [];
  for (const m of messages as Message[]) {
    if (isRole(m, 'system') || isRole(m, 'developer')) {
      folded++;
      const block: Block = { type: 'text', text: foldedText(m.content) };
      const prev = out[out.length - 1];
      if (carried.length === 0 && isRole(prev, 'user')) out[out.length - 1] = { ...prev, content: [...blocksOf(prev!.content), block] };
      else carried.push(block);
      continue;
    }
    if (carried.length && isRole(m, 'user')) { out.push({ ...m, content: [...carried, ...blocksOf(m.content)] }); carried = []; continue; }
    if (carried.length) { out.push({ role: 'user', content: carried }); carried = []; }
    out.push(m);
  }
  if (carried.length) out.push({ role: 'user', content: carried });
  body.messages = out;
  return folded;
}
