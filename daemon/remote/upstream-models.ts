// What an upstream's /v1/models says: the model ids, and the window of each where it says one.
// vLLM: `max_model_len`; Anthropic-shaped servers: `max_input_tokens`; others `context_length` or
// `context_window`; llama-server: `meta.n_ctx` (older releases only on /slots and /props). Pure.
import { DEFAULT_OUT_TOKENS } from '../../common/attach-env.js';
import { MAX_CONTEXT_WINDOW } from '../context-bounds.js';

/** `window`: prompt tokens, the answer's share already kept out (promptWindow). */
export interface UpstreamModel { id: string; window: number | null }

const WINDOW_FIELDS = ['max_model_len', 'max_input_tokens', 'context_length', 'context_window'] as const;

function windowOf(entry: Record<string, unknown>): number | null {
  // llama-server's entry: {"owned_by": "llamacpp", "meta": {"n_ctx": …}} (n_ctx_train is the model's, not the server's).
  const meta = entry.meta as { n_ctx?: unknown } | undefined;
  if (typeof meta?.n_ctx === 'number') return windowOf({ context_length: meta.n_ctx });
  for (const f of WINDOW_FIELDS) {
    const v = entry[f];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_CONTEXT_WINDOW) return f === 'max_input_tokens' ? v : promptWindow(v);
  }
  return null;
}

/** The models listed (OpenAI's and Anthropic's list shapes are both `{data: [{id, …}]}`); null
 *  when the answer is not such a list. */
export function modelsFrom(text: string): UpstreamModel[] | null {
  let body: unknown;
  try { body = JSON.parse(text); } catch { return null; }
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) return null;
  const out: UpstreamModel[] = [];
  for (const e of data) {
    if (typeof e !== 'object' || e === null) continue;
    const id = (e as { id?: unknown }).id;
    if (typeof id === 'string' && id.length > 0 && id.length <= 2048) out.push({ id, window: windowOf(e as Record<string, unknown>) });
  }
  return out;
}

/** llama-server's /props: `default_generation_settings.n_ctx` (newer releases also `n_ctx`). */
export function windowFromProps(text: string): number | null {
  try {
    const p = JSON.parse(text) as { default_generation_settings?: { n_ctx?: unknown }; n_ctx?: unknown };
    const n = p.default_generation_settings?.n_ctx ?? p.n_ctx;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= MAX_CONTEXT_WINDOW ? promptWindow(n) : null;
  } catch {
    return null;
  }
}

/** The prompt-token window to enforce from what an upstream reports, which also holds the answer
 *  (vLLM's max_model_len, llama-server's n_ctx): the answer's share is kept out, as for a local
 *  llama-server. An Anthropic-shaped `max_input_tokens` is prompt-only already. */
export function promptWindow(reported: number, answerReserve = DEFAULT_OUT_TOKENS): number {
  return reported > 2 * answerReserve ? reported - answerReserve : Math.max(1, Math.floor(reported / 2));
}
