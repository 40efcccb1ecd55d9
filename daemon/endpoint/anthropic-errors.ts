// Anthropic's error envelope, as JSON bodies and as SSE `error` events. Claude Code reads the
// `type` to decide: overloaded_error (529) is retried by itself; invalid_request_error with
// "prompt is too long: N tokens > M maximum" makes it compact.

export type AnthropicErrorType =
  | 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error'
  | 'request_too_large' | 'rate_limit_error' | 'api_error' | 'overloaded_error';

export function errorBody(type: AnthropicErrorType, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

export function errorEvent(type: AnthropicErrorType, message: string): string {
  return `event: error\ndata: ${errorBody(type, message)}\n\n`;
}

/** The type Anthropic uses for an HTTP status, for engine errors that come in FastAPI's shape. */
export function typeForStatus(status: number): AnthropicErrorType {
  if (status === 400 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  return 'api_error';
}

/** vllm-mlx answers errors as {"detail": string | object}; keep its words. */
export function engineErrorMessage(raw: string): string {
  try {
    const body = JSON.parse(raw) as { detail?: unknown; error?: { message?: unknown }; message?: unknown };
    if (typeof body.detail === 'string') return body.detail;
    if (body.detail !== undefined) return JSON.stringify(body.detail);
    if (typeof body.error?.message === 'string') return body.error.message;
    // vLLM's and SGLang's OpenAI-style error: {"object": "error", "message": …}
    if (typeof body.message === 'string') return body.message;
  } catch { /* not JSON */ }
  return raw.slice(0, 500) || 'the engine returned an error';
}

const ANTHROPIC_TYPES: ReadonlySet<string> = new Set(['invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'request_too_large', 'rate_limit_error', 'api_error', 'overloaded_error']);

/** An engine's own SSE `error` data in Anthropic's envelope: llama-server sends
 *  {"code":500,"message":…,"type":"server_error"}, which Anthropic's clients do not read. */
export function engineErrorEvent(data: string): string {
  let type: AnthropicErrorType = 'api_error';
  let message = data.slice(0, 500) || 'the engine reported an error';
  try {
    const body = JSON.parse(data) as { type?: unknown; message?: unknown; error?: { type?: unknown; message?: unknown } };
    const inner = body.error ?? body;
    if (typeof inner.message === 'string') message = inner.message;
    if (typeof inner.type === 'string' && ANTHROPIC_TYPES.has(inner.type)) type = inner.type as AnthropicErrorType;
  } catch { /* not JSON: its first characters */ }
  return errorEvent(type, `the local engine: ${message}`);
}

/** Anthropic's words, which Claude Code reads the numbers from and compacts on; a window below
 *  the model's default adds after them what it is and how to raise it (common/window-note.ts). */
export const promptTooLong = (tokens: number, max: number, note?: string | null) => `prompt is too long: ${tokens} tokens > ${max} maximum${note ? `; ${note}` : ''}`;
