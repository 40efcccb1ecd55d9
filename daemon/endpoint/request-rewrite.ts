// What the endpoint changes in a Messages request before the engine sees it. Pure.
import { foldSystemMessages } from './system-fold.js';

/** Claude Code's per-request attribution line; it changes every time and defeats the prefix cache. */
const ATTRIBUTION_LINE = /x-anthropic-billing-header:[^\n]*\n?/g;

type Block = { type?: unknown; text?: unknown };

/** Removes the attribution line from `system` (a string or text blocks); drops blocks left empty. */
export function stripAttribution(body: Record<string, unknown>): boolean {
  const system = body.system;
  if (typeof system === 'string') {
    const next = system.replace(ATTRIBUTION_LINE, '');
    if (next !== system) { body.system = next; return true; }
    return false;
  }
  if (!Array.isArray(system)) return false;
  let changed = false;
  const kept: unknown[] = [];
  for (const block of system as Block[]) {
    if (block && block.type === 'text' && typeof block.text === 'string' && block.text.includes('x-anthropic-billing-header')) {
      changed = true;
      const text = block.text.replace(ATTRIBUTION_LINE, '');
      if (text.trim().length > 0) kept.push({ ...block, text });
    } else {
      kept.push(block);
    }
  }
  if (changed) body.system = kept;
  return changed;
}

/**
 * Drops the tools marked `defer_loading: true`. Anthropic's API keeps a deferred tool out of the
 * model's context until its tool search finds it; an engine without tool search ignores the key
 * (vllm-mlx's AnthropicToolDef has no such field) and would show the model every deferred tool,
 * such as Claude Code's "DeferredToolPlaceholder … never call this tool".
 */
export function dropDeferredTools(body: Record<string, unknown>): number {
  const tools = body.tools;
  if (!Array.isArray(tools)) return 0;
  const kept = tools.filter((t: { defer_loading?: unknown } | null) => t?.defer_loading !== true);
  if (kept.length === tools.length) return 0;
  body.tools = kept;
  return tools.length - kept.length;
}

/** Everything above, for both /v1/messages and /v1/messages/count_tokens (the engine counts what
 *  it will be sent, and no system entry reaches it by either route). */
export function shapeForEngine(body: Record<string, unknown>): void {
  stripAttribution(body);
  foldSystemMessages(body);
  dropDeferredTools(body);
}
