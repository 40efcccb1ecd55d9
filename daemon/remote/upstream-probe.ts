// One check of one upstream: is it answering, how fast, which models does it serve and what
// window does it report. Each step has the probe's deadline; nothing here throws.
import { slotContext } from '../engine/llama-server.js';
import type { Transport } from '../endpoint/transport.js';
import { authHeaders, type AuthStyle } from './upstream-auth.js';
import { networkError, statusError } from './upstream-errors.js';
import { modelsFrom, promptWindow, windowFromProps, type UpstreamModel } from './upstream-models.js';

export interface ProbeInput {
  url: string;
  transport: Transport;
  token: string | null;
  /** The style that worked last time; null: try Bearer, then x-api-key. */
  authStyle: AuthStyle | null;
  mode: 'health' | 'messages';
  timeoutMs: number;
  /** The model a one-token request asks for (when the upstream has no health route). */
  model: string | null;
}

export type ProbeResult =
  | { ok: true; latencyMs: number; models: UpstreamModel[] | null; window: number | null; authStyle: AuthStyle | null; busy: string | null }
  | { ok: false; latencyMs: number | null; error: string };

interface Answer { status: number; text: string; ms: number }

/** One whole answer, or why there is none. */
export function ask(t: Transport, url: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs: number }): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const signal = AbortSignal.timeout(o.timeoutMs);
    let req;
    try {
      req = t.request(url, path, { method: o.method ?? 'GET', headers: { accept: 'application/json', ...o.headers, ...(o.body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(o.body)) } : {}) }, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size <= 4 * 1024 * 1024) chunks.push(c); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: Math.round(performance.now() - started) }));
        res.on('error', (err) => resolve({ error: networkError(err, o.timeoutMs) }));
      });
    } catch (err) {
      resolve({ error: networkError(err, o.timeoutMs) });
      return;
    }
    req.on('error', (err) => resolve({ error: networkError(err, o.timeoutMs) }));
    req.end(o.body);
  });
}

const isAnswer = (a: Answer | { error: string }): a is Answer => 'status' in a;

/** A one-token Messages request: the check for an upstream with no health route, or a router
 *  whose /health says nothing of the engine behind it. */
function oneToken(model: string | null): string {
  return JSON.stringify({ model: model ?? 'default', max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] });
}

const OVERLOAD = new Set([429, 503, 529]);

export async function probeUpstream(i: ProbeInput): Promise<ProbeResult> {
  // The style that worked last first (a request may have switched it: flipAuth), then the other.
  const styles: (AuthStyle | null)[] = i.token === null ? [null] : i.authStyle === 'x-api-key' ? ['x-api-key', 'bearer'] : ['bearer', 'x-api-key'];
  const auth = (s: AuthStyle | null) => authHeaders(s, i.token);
  let latencyMs: number | null = null;
  let busy: string | null = null;

  if (i.mode === 'health') {
    const h = await ask(i.transport, i.url, '/health', { headers: auth(styles[0]!), timeoutMs: i.timeoutMs });
    if (!isAnswer(h)) return { ok: false, latencyMs: null, error: h.error };
    latencyMs = h.ms;
    if (h.status !== 200 && h.status !== 404 && h.status !== 405 && h.status !== 401 && h.status !== 403) return { ok: false, latencyMs, error: statusError('/health', h.status, h.text) };
    if (h.status !== 200) i = { ...i, mode: 'messages' }; // no health route (or a guarded one): ask for a token
  }

  // The models it serves, in the auth style it takes (the first that is not refused).
  let models: UpstreamModel[] | null = null;
  let style: AuthStyle | null = styles[0]!;
  let refused: Answer | null = null;
  for (const s of styles) {
    const m = await ask(i.transport, i.url, '/v1/models', { headers: auth(s), timeoutMs: i.timeoutMs });
    if (!isAnswer(m)) return { ok: false, latencyMs, error: m.error };
    latencyMs ??= m.ms;
    style = s;
    refused = m.status === 401 || m.status === 403 ? m : null;
    if (refused) continue;
    if (m.status === 200) models = modelsFrom(m.text);
    break;
  }
  if (refused) {
    // Every header was refused: a wrong token, or none where one is wanted.
    if (i.token === null) return { ok: false, latencyMs, error: `/v1/models asks for a key (${refused.status}); put the upstream's token in a file and set remote.tokenFile` };
    return { ok: false, latencyMs, error: statusError('/v1/models', refused.status, refused.text) };
  }

  if (i.mode === 'messages') {
    const model = i.model ?? models?.[0]?.id ?? null;
    const g = await ask(i.transport, i.url, '/v1/messages', { method: 'POST', headers: { ...auth(style), 'anthropic-version': '2023-06-01' }, body: oneToken(model), timeoutMs: i.timeoutMs });
    if (!isAnswer(g)) return { ok: false, latencyMs, error: g.error };
    latencyMs = g.ms;
    // Refusing for load is alive: requests go there and are retried if refused.
    if (OVERLOAD.has(g.status)) busy = statusError('/v1/messages', g.status, g.text);
    else if (g.status !== 200) return { ok: false, latencyMs, error: statusError('/v1/messages', g.status, g.text) };
  }

  const wanted = i.model ?? models?.[0]?.id ?? null;
  let window = models?.find((m) => m.id === wanted)?.window ?? null;
  if (window === null) window = await llamaWindow(i, auth(style));
  return { ok: true, latencyMs: latencyMs ?? 0, models, window, authStyle: i.token === null ? null : style, busy };
}

/** llama-server reports its window on /slots (per slot) or /props, not in /v1/models. */
async function llamaWindow(i: ProbeInput, headers: Record<string, string>): Promise<number | null> {
  const slots = await ask(i.transport, i.url, '/slots', { headers, timeoutMs: i.timeoutMs });
  if (isAnswer(slots) && slots.status === 200) {
    try { const n = slotContext(JSON.parse(slots.text)); if (n) return promptWindow(n); } catch { /* not JSON: next */ }
  }
  const props = await ask(i.transport, i.url, '/props', { headers, timeoutMs: i.timeoutMs });
  if (isAnswer(props) && props.status === 200) return windowFromProps(props.text);
  return null;
}
