// GET /metrics: Prometheus text under `cclocal:`, on a real daemon with the stand-in engine; and
// the pieces that feed it (the answer's output tokens, which records count where) on their own.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { createMetrics, type MetricsView } from '../../daemon/endpoint/metrics.js';
import type { RequestRecord } from '../../daemon/endpoint/request-record.js';
import { StreamTracker } from '../../daemon/endpoint/sse-scanner.js';
import { ENGINE_STATES } from '../../daemon/protocol/protocol.js';
import { isState, isType } from '../helpers/events.js';
import { makeHome, startDaemon, statusUntil, type TestHome } from '../helpers/daemon.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';
const GIB = 2 ** 30;

function call(home: TestHome, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: home.port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Scrape { types: Map<string, string>; value(series: string): number | undefined }

/** The text format read back: `# TYPE name type` lines, and each sample by its series (name{labels}). */
function parse(text: string): Scrape {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) { const [, , name, type] = line.split(' '); types.set(name!, type!); continue; }
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { types, value: (series) => samples.get(series) };
}

async function scrape(home: TestHome): Promise<Scrape> {
  const r = await call(home, 'GET', '/metrics');
  assert.equal(r.status, 200, r.body);
  assert.match(r.type, /^text\/plain; version=0\.0\.4/);
  return parse(r.body);
}

const EXPECTED_TYPES: Record<string, string> = {
  'cclocal:time_to_first_token_seconds': 'histogram',
  'cclocal:request_prefill_time_seconds': 'histogram',
  'cclocal:generation_tokens_per_second': 'histogram',
  'cclocal:e2e_request_latency_seconds': 'histogram',
  'cclocal:request_queue_time_seconds': 'histogram',
  'cclocal:requests_total': 'counter',
  'cclocal:prompt_too_long_total': 'counter',
  'cclocal:engine_restarts_total': 'counter',
  'cclocal:num_requests_waiting': 'gauge',
  'cclocal:num_requests_running': 'gauge',
  'cclocal:engine_state': 'gauge',
  'cclocal:context_window_tokens': 'gauge',
  'cclocal:engine_memory_bytes': 'gauge',
};

const ask = (stream: boolean) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream, messages: [{ role: 'user', content: 'x' }] });

test('/metrics counts a streamed and a JSON request, reads the engine at scrape time, and counts a crash by reason; status keeps the session', async (t) => {
  // Three events 20 ms apart (a measurable generation); the third engine request aborts as on a Metal OOM, once.
  const home = makeHome(t, { env: { FAKE_VLLM_EVENT_MS: '20', FAKE_VLLM_OOM_AFTER_REQUESTS: '3', FAKE_VLLM_FAULT_STARTS: '1' } });
  const d = await startDaemon(t, home);
  const loaded = await d.rpc.request('load', { model: 'gemma-light' });
  const session = { 'x-claude-code-session-id': 'sess-1' };
  const streamed = await call(home, 'POST', '/v1/messages', { ...session, 'x-claude-code-agent-id': 'agent-a' }, ask(true));
  assert.equal(streamed.status, 200);
  assert.match(streamed.body, /event: message_stop/);
  assert.equal((await call(home, 'POST', '/v1/messages', session, ask(false))).status, 200);
  // Both records are in once status counts them (the barrier: records are taken as requests end).
  const s = await statusUntil(d, (st) => st.endpoint.sessions[0]?.requests === 2 && st.engine.memory !== null, 'both requests counted and the engine memory read');

  assert.equal(s.endpoint.sessions.length, 1);
  const [one] = s.endpoint.sessions;
  assert.deepEqual({ ...one, lastAt: undefined }, { session: 'sess-1', requests: 2, errors: 0, lastAt: undefined, agents: { main: 1, 'agent-a': 1 } });
  assert.ok(Date.parse(one!.lastAt) <= Date.now());

  const m = await scrape(home);
  for (const [name, type] of Object.entries(EXPECTED_TYPES)) assert.equal(m.types.get(name), type, name);
  assert.equal(m.value('cclocal:requests_total{status="200"}'), 2);
  // Only the stream has a first token; both reached the engine.
  assert.equal(m.value('cclocal:time_to_first_token_seconds_count'), 1);
  assert.ok(m.value('cclocal:time_to_first_token_seconds_count')! >= 1);
  assert.equal(m.value('cclocal:request_prefill_time_seconds_count'), 1);
  assert.equal(m.value('cclocal:generation_tokens_per_second_count'), 1, 'three output tokens over the generation');
  assert.ok(m.value('cclocal:generation_tokens_per_second_sum')! > 0);
  assert.equal(m.value('cclocal:e2e_request_latency_seconds_count'), 2);
  assert.equal(m.value('cclocal:request_queue_time_seconds_count'), 2);
  assert.equal(m.value('cclocal:time_to_first_token_seconds_bucket{le="+Inf"}'), 1);
  assert.equal(m.value('cclocal:prompt_too_long_total'), 0);
  assert.equal(m.value('cclocal:num_requests_waiting'), 0);
  assert.equal(m.value('cclocal:num_requests_running'), 0);
  for (const state of ENGINE_STATES) assert.equal(m.value(`cclocal:engine_state{state="${state}"}`), state === 'ready' ? 1 : 0, state);
  assert.equal(m.value('cclocal:context_window_tokens'), s.engine.contextWindow);
  assert.equal(m.value('cclocal:engine_memory_bytes{kind="active"}'), Math.round(s.engine.memory!.activeGB * GIB));
  assert.equal(m.value('cclocal:engine_memory_bytes{kind="peak"}'), Math.round(s.engine.memory!.peakGB * GIB));
  assert.equal(m.value('cclocal:engine_memory_bytes{kind="cache"}'), Math.round(s.engine.memory!.cacheGB * GIB));
  assert.equal(m.value('cclocal:engine_restarts_total{reason="metal-oom"}'), 0);

  // The same Host and Origin checks as every route.
  const foreign = await call(home, 'GET', '/metrics', { origin: 'https://attacker.example' });
  assert.equal(foreign.status, 403);
  assert.match(foreign.body, /"permission_error"/);
  assert.equal((await call(home, 'GET', '/metrics', { host: `attacker.example:${home.port}` })).status, 403);

  // The third request to the engine (straight to it, so no endpoint request is counted) aborts it.
  await fetch(`${loaded.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: GEMMA, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }) }).catch(() => undefined);
  const crash = await d.events.next(isType('crash'), 'the crash');
  assert.equal(crash.reason, 'metal-oom');
  await d.events.next(isState('ready'), 'the engine ready again');
  const after = await d.rpc.request('status');
  const m2 = await scrape(home);
  assert.equal(m2.value('cclocal:engine_restarts_total{reason="metal-oom"}'), 1);
  assert.equal(m2.value('cclocal:engine_restarts_total{reason="wedged"}'), 0);
  assert.equal(m2.value('cclocal:context_window_tokens'), after.engine.contextWindow);
  assert.equal(after.engine.contextWindow, s.engine.contextWindow / 2, 'the out-of-memory halving shows');
  assert.equal(m2.value('cclocal:requests_total{status="200"}'), 2);
});

test('/metrics counts a prompt-is-too-long refusal and its status; nothing loaded shows no memory', async (t) => {
  const home = makeHome(t, { config: { contextFloor: 4096 } });
  const d = await startDaemon(t, home);
  const idle = await scrape(home);
  assert.equal(idle.value('cclocal:engine_state{state="stopped"}'), 1);
  assert.equal(idle.value('cclocal:engine_memory_bytes{kind="active"}'), undefined);
  assert.equal(idle.types.get('cclocal:engine_memory_bytes'), 'gauge');
  await d.rpc.request('load', { model: 'gemma-light', contextWindow: 4096 });
  const long = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'word '.repeat(8000) }] });
  const refused = await call(home, 'POST', '/v1/messages', { 'x-claude-code-session-id': 'sess-2' }, long);
  assert.equal(refused.status, 400);
  assert.match(refused.body, /prompt is too long/);
  const s = await statusUntil(d, (st) => st.endpoint.sessions[0]?.requests === 1, 'the refusal counted');
  assert.deepEqual(s.endpoint.sessions.map((x) => [x.session, x.errors, x.agents]), [['sess-2', 1, { main: 1 }]]);
  const m = await scrape(home);
  assert.equal(m.value('cclocal:prompt_too_long_total'), 1);
  assert.equal(m.value('cclocal:requests_total{status="400"}'), 1);
  assert.equal(m.value('cclocal:context_window_tokens'), 4096);
  assert.equal(m.value('cclocal:time_to_first_token_seconds_count'), 0);
  assert.equal(m.value('cclocal:request_queue_time_seconds_count'), 1, 'it had its turn before the guard refused it');
  assert.equal(m.value('cclocal:e2e_request_latency_seconds_count'), 0, 'it never reached the engine');
  assert.equal((await call(home, 'HEAD', '/metrics')).status, 200);
});

// ── the pieces, on their own ──

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const STREAM = [
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'a model that writes "output_tokens":99 in its text' } }),
  sse('content_block_stop', { index: 0 }),
  sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1234 } }),
  sse('message_stop', {}),
].join('');

test('the stream\'s output tokens are message_delta\'s, wherever the chunks split it; a model\'s text does not count', () => {
  const bytes = Buffer.from(STREAM);
  for (let cut = 1; cut < bytes.length; cut++) {
    const t = new StreamTracker();
    t.feed(bytes.subarray(0, cut));
    t.feed(bytes.subarray(cut));
    assert.equal(t.outputTokens, 1234, `cut at ${cut}`);
    assert.equal(t.sawStop, true);
  }
  const bytewise = new StreamTracker();
  for (let i = 0; i < bytes.length; i++) bytewise.feed(bytes.subarray(i, i + 1));
  assert.equal(bytewise.outputTokens, 1234);
  assert.equal(bytewise.events, 4);
  const none = new StreamTracker();
  none.feed(Buffer.from(STREAM.replace(/"usage":\{[^}]*\},?/, '')));
  assert.equal(none.outputTokens, null);
  const spaced = new StreamTracker();
  spaced.feed(Buffer.from('event: message_delta\ndata: {"usage": {"output_tokens": 7}}\n\n'));
  assert.equal(spaced.outputTokens, 7);
});

const record = (r: Partial<RequestRecord>): RequestRecord => ({
  at: 0, session: null, agent: null, model: 'm', upstream: null, stream: true, status: 200, outcome: 'done',
  queueWaitMs: 500, ttftMs: 2000, durationMs: 4000, events: 5, outputTokens: 40, tooLong: false, ...r,
});

test('which records feed which metric', async () => {
  const view: MetricsView = { state: 'loading', contextWindow: 8192, memory: null };
  const metrics = createMetrics({ queue: { depth: 3, active: 1 }, view: () => view });
  metrics.record(record({}));                                              // a stream: every histogram
  metrics.record(record({ stream: false, ttftMs: 1000, durationMs: 1000 })); // JSON: no first token
  metrics.record(record({ status: 500, outputTokens: null }));              // the engine's error event
  metrics.record(record({ status: 400, outcome: null, ttftMs: null, durationMs: 5, events: 0, outputTokens: null, tooLong: true }));
  metrics.record(record({ status: 503, outcome: null, ttftMs: null, queueWaitMs: 0, events: 0, outputTokens: null })); // nothing loaded
  metrics.countCrash('wedged');
  const m = parse(await metrics.text());
  assert.equal(m.value('cclocal:time_to_first_token_seconds_count'), 1);
  assert.equal(m.value('cclocal:time_to_first_token_seconds_sum'), 2);
  assert.equal(m.value('cclocal:request_prefill_time_seconds_sum'), 1.5);
  assert.equal(m.value('cclocal:generation_tokens_per_second_sum'), 20, '40 tokens over the 2 s after the first');
  assert.equal(m.value('cclocal:e2e_request_latency_seconds_count'), 3, 'the three that reached the engine');
  assert.equal(m.value('cclocal:request_queue_time_seconds_count'), 4, 'all but the one that never got a turn');
  assert.equal(m.value('cclocal:requests_total{status="200"}'), 2);
  assert.equal(m.value('cclocal:requests_total{status="500"}'), 1);
  assert.equal(m.value('cclocal:requests_total{status="503"}'), 1);
  assert.equal(m.value('cclocal:prompt_too_long_total'), 1);
  assert.equal(m.value('cclocal:engine_restarts_total{reason="wedged"}'), 1);
  assert.equal(m.value('cclocal:num_requests_waiting'), 3);
  assert.equal(m.value('cclocal:num_requests_running'), 1);
  assert.equal(m.value('cclocal:engine_state{state="loading"}'), 1);
  assert.equal(m.value('cclocal:engine_state{state="ready"}'), 0);
  assert.equal(m.value('cclocal:context_window_tokens'), 8192);
  assert.equal(m.value('cclocal:engine_memory_bytes{kind="active"}'), undefined);
  view.memory = { activeGB: 1, peakGB: 2, cacheGB: 0.5 };
  view.state = 'ready';
  const m2 = parse(await metrics.text());
  assert.equal(m2.value('cclocal:engine_memory_bytes{kind="peak"}'), 2 * GIB);
  assert.equal(m2.value('cclocal:engine_state{state="ready"}'), 1);
  // A second registry is its own: nothing is global to the process.
  assert.equal(parse(await createMetrics({ queue: { depth: 0, active: 0 }, view: () => view }).text()).value('cclocal:requests_total{status="200"}'), undefined);
});
