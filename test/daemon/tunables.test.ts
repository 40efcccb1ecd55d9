// What config.json and state.json may hold, on a real daemon: a duration past its bound is
// refused at start (Node would run it after 1 ms), "never" means no limit, and a stored context
// window out of range is not used.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitForSocket } from '../../common/wait-for.js';
import { makeHome, recorded, spawnDaemon, startDaemon, statusUntil, type TestHome } from '../helpers/daemon.js';
import { waitForRecord } from '../helpers/record-wait.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';

const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a first-event timeout past 2^31 ms', { firstEventTimeoutMs: 9_999_999_999 }, /firstEventTimeoutMs is 9999999999; it must be a whole number of milliseconds from 100 to 86400000 \(1 day\), or "never" for no limit/],
  ['a queue timeout past 2^31 ms', { queueTimeoutMs: 9_999_999_999 }, /queueTimeoutMs is 9999999999; .* or "never" for no limit/],
  ['a stop grace past its bound', { stopGraceMs: 9_999_999_999 }, /stopGraceMs is 9999999999; it must be a whole number of milliseconds from 10 to 20000 \(20 s\)\n/],
  ['a poll interval past its bound', { healthPollMs: 9_999_999_999 }, /healthPollMs is 9999999999; it must be a whole number of milliseconds from 10 to 60000 \(1 min\)\n/],
  ['0 for "no limit"', { betweenEventsTimeoutMs: 0 }, /betweenEventsTimeoutMs is 0; .* or "never" for no limit/],
  ['null for "no limit"', { stallTimeoutMs: null }, /stallTimeoutMs is null; .* or "never" for no limit/],
  ['"never" where no limit makes no sense', { crashLoopWindowMs: 'never' }, /crashLoopWindowMs is "never"; it must be a whole number of milliseconds from 1000 to 86400000 \(1 day\)\n/],
  ['an engine port that is no port', { enginePort: 70_000 }, /enginePort is 70000; it must be a whole number from 0 to 65535/],
];

for (const [what, config, message] of refusals) {
  test(`config.json with ${what} stops the daemon at start, naming the key, the range and the fix`, async (t) => {
    const home = makeHome(t, { config });
    const proc = spawnDaemon(home);
    // A daemon that took the value would answer on its socket instead of exiting.
    const stopped = new AbortController();
    const exited = once(proc, 'exit').then(([code]) => code as number);
    const started = waitForSocket(home.paths.home, home.paths.socket, 20_000, stopped.signal).then((up) => (up ? 'started' : 'neither'));
    const code = await Promise.race([exited, started]);
    stopped.abort();
    if (typeof code !== 'number') { proc.kill('SIGKILL'); await exited; assert.fail(`the daemon ${code === 'started' ? 'took the value and started' : 'neither started nor exited'}: ${proc.output()}`); }
    assert.equal(code, 1, proc.output());
    assert.match(proc.output(), message);
    assert.match(proc.output(), /config\.json: /, 'the file is named');
  });
}

/** A streamed request through the endpoint, read to its end. */
async function stream(home: TestHome): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${home.port}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  return res.text();
}

test('"never" turns the stream and queue timeouts off: a long prefill is not wedged, and a request behind it waits its turn', async (t) => {
  // A timer armed with "never" taken as a number would fire at once: the held stream would end as
  // wedged, and the queued request would fail, long before the hold is released.
  const never = { firstEventTimeoutMs: 'never', betweenEventsTimeoutMs: 'never', queueTimeoutMs: 'never', stallTimeoutMs: 'never' };
  const home = makeHome(t, { config: never, env: { FAKE_VLLM_EVENT_MS: '20' } });
  const prefilled = join(home.dir, 'prefilled');
  home.env.FAKE_VLLM_PREFILL_HOLD_FILE = prefilled;
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const held = stream(home);
  await waitForRecord(home, (l) => l.some((r) => r.event === 'request'), 'the first request at the engine');
  const queued = stream(home);
  await statusUntil(d, (s) => s.endpoint.queueDepth === 1, 'the second request waiting its turn');
  writeFileSync(prefilled, '');
  for (const text of [await held, await queued]) {
    assert.match(text, /event: message_stop/);
    assert.doesNotMatch(text, /event: error/);
  }
  const s = await d.rpc.request('status');
  assert.equal(s.endpoint.wedged, 0);
  assert.equal(s.engine.lastCrash, null);
  assert.equal(recorded(home).filter((r) => r.event === 'start').length, 1, 'the engine was never restarted');
});

test('a stored context window out of range is not used: the model gets its default, and the log says why', async (t) => {
  const home = makeHome(t);
  writeFileSync(home.paths.state, JSON.stringify({ lastModel: null, contexts: { [GEMMA]: 1, 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit': 1e15 } }));
  const d = await startDaemon(t, home);
  assert.equal((await d.rpc.request('load', { model: 'gemma-light' })).contextWindow, 32768);
  assert.equal((await d.rpc.request('load', { model: 'coder7b' })).contextWindow, 32768);
  const log = readFileSync(home.paths.daemonLog, 'utf8');
  assert.match(log, /"model":"mlx-community\/gemma-4-e4b-it-4bit","contextWindow":1,.*"ignoring a stored context window out of range; using the default"/);
  assert.match(log, /"contextWindow":1000000000000000,.*"ignoring a stored context window out of range/);
});
