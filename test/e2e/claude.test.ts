// The real Claude Code CLI (@anthropic-ai/claude-code, a devDependency) driven through `cclocal`
// against a real daemon and the scripted stand-in engine; what lands on disk is checked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isType } from '../helpers/events.js';
import type { TestContext } from 'node:test';
import { CLAUDE_UNDER_TEST, cclocald, liveEngines, makeHome, recorded, ROOT, runProgram, startDaemon, type ProgramRun, type TestHome } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const CCLOCAL = join(ROOT, 'bin', 'cclocal');
const REAL_LOOKING_KEY = 'sk-ant-api03-E2E-caller-key-0123456789abcdefghijklmnopqrstuvwxyz';


const cleaned = new WeakSet<TestHome>();

/** Runs cclocal as a person would, in a work folder, with a real-looking key in the environment. */
async function cclocal(t: TestContext, home: TestHome, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProgramRun> {
  if (!cleaned.has(home)) {
    cleaned.add(home);
    // cclocal may start a detached daemon of its own: stop it (and so its engine) after the test.
    onCleanup(t, async () => {
      await cclocald(home, 'stop');
      for (const pid of liveEngines(home)) process.kill(-pid, 'SIGKILL');
    });
  }
  const work = join(home.dir, 'work');
  mkdirSync(work, { recursive: true });
  mkdirSync(join(home.dir, 'userhome'), { recursive: true });
  return runProgram(CCLOCAL, args, {
    cwd: work,
    env: { ...home.env, HOME: join(home.dir, 'userhome'), CCLOCAL_CLAUDE_BIN: CLAUDE_UNDER_TEST, ANTHROPIC_API_KEY: REAL_LOOKING_KEY, ...extraEnv },
  });
}

const script = (steps: unknown[]) => JSON.stringify(steps);
const engineRequests = (home: TestHome) => recorded(home).filter((r) => r.event === 'request');

/** Every request the engine saw had roles that a strict chat template accepts: no system entry. */
function assertNoSystemEntries(home: TestHome): void {
  const requests = engineRequests(home);
  assert.ok(requests.length > 0);
  for (const q of requests) assert.ok(!(q.roles as string[]).some((r) => r === 'system' || r === 'developer'), JSON.stringify(q.roles));
}

test("the seed's acceptance check: Claude Code's Write tool creates the file, and the engine sees the tool result", async (t) => {
  // A strict chat template (Qwen3.5's): a system entry inside messages would leave an empty answer.
  const home = makeHome(t, { env: { FAKE_VLLM_STRICT_TEMPLATE: '1' } });
  const target = join(home.dir, 'test_tools.txt');
  home.env.FAKE_VLLM_SCRIPT = script([{ name: 'Write', input: { file_path: target, content: 'hello world' } }]);
  const r = await cclocal(t, home, ['--gemma-light', '--', '-p', `create a file called ${target} with "hello world"`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'hello world');
  assert.match(r.stdout, /All done\./);
  // Told the window, Claude Code does not fall back to assuming one of its own.
  assert.doesNotMatch(r.stderr, /assumes a context window/);
  const withResult = engineRequests(home).find((q) => (q.toolResults as string[]).length > 0);
  assert.ok(withResult, 'the engine saw a request carrying the tool result');
  assert.match((withResult!.toolResults as string[])[0]!, /File created successfully/);
  // The caller's real key never reached the engine, in a header or a body.
  for (const q of engineRequests(home)) {
    assert.equal(q.apiKey, null);
    assert.ok(q.authorization === null || !String(q.authorization).includes('sk-ant-'));
    assert.equal(q.sawKey, false);
  }
  assert.ok(!readFileSync(home.paths.daemonLog, 'utf8').includes(REAL_LOOKING_KEY));
  // Claude Code was told the seed's tool set (less WebSearch, which only Anthropic's servers can
  // run) and output budget; its deferred-loading placeholder tool never reaches the model.
  const main = engineRequests(home).find((q) => (q.tools as string[]).length > 0)!;
  assert.deepEqual([...(main.tools as string[])].sort(), ['Bash', 'Edit', 'Glob', 'Grep', 'Read', 'WebFetch', 'Write']);
  assert.equal(main.maxTokens, 8192);
  assertNoSystemEntries(home);
});

test('a multi-turn tool loop (Write, then Read, then Edit) lands on disk, behind a strict chat template', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_STRICT_TEMPLATE: '1' } });
  const target = join(home.dir, 'notes.md');
  home.env.FAKE_VLLM_SCRIPT = script([
    { name: 'Write', input: { file_path: target, content: 'hello world\n' } },
    { name: 'Read', input: { file_path: target } },
    { name: 'Edit', input: { file_path: target, old_string: 'world', new_string: 'there' } },
  ]);
  const r = await cclocal(t, home, ['--gemma-light', '--out-tokens', '16384', '--', '-p', `write, read and edit ${target}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'hello there\n');
  const results = engineRequests(home).map((q) => (q.toolResults as string[]).length);
  assert.ok(results.includes(3), 'the engine saw all three tool results');
  assert.ok(engineRequests(home).every((q) => q.maxTokens === 16384 || (q.tools as string[]).length === 0));
  assertNoSystemEntries(home);
});

test('an engine OOM in the middle of the session is survived and the session finishes', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_OOM_AFTER_REQUESTS: '2', FAKE_VLLM_FAULT_STARTS: '1' } });
  const target = join(home.dir, 'after-oom.txt');
  home.env.FAKE_VLLM_SCRIPT = script([{ name: 'Write', input: { file_path: target, content: 'survived' } }]);
  const d2 = await startDaemon(t, home);
  const r = await cclocal(t, home, ['--gemma-light', '--', '-p', `create ${target}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'survived');
  const crash = await d2.events.next(isType('crash'), 'the OOM during the session');
  assert.equal(crash.reason, 'metal-oom');
  assert.ok((await d2.rpc.request('status')).endpoint.retries >= 1);
});

test('a long session on a 32K window is compacted by Claude Code in time, and goes on to finish, behind a strict chat template', async (t) => {
  const home = makeHome(t, { env: { FAKE_VLLM_STRICT_TEMPLATE: '1' } });
  // Each read brings ~2K tokens back (the stand-in tokenizer: four bytes a token); sixteen of them
  // do not fit in 32K beside Claude Code's ~5K of system prompt and tools. (16K compacts in time
  // too, but refills within three turns with Claude Code's ~9K after a compaction, which it then
  // calls thrashing: see the README.)
  const big = join(home.dir, 'big.txt');
  writeFileSync(big, Array.from({ length: 120 }, (_, i) => `line ${i}: ${'lorem ipsum dolor sit amet '.repeat(2)}`).join('\n'));
  home.env.FAKE_VLLM_SCRIPT = script(Array.from({ length: 16 }, (_, i) => ({ name: 'Bash', input: { command: `cat ${big} # pass ${i}`, description: 'read it' } })));
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light', contextWindow: 32768 });
  const r = await cclocal(t, home, ['--', '--allowedTools', 'Bash', '-p', 'read the file many times']);
  const sizes = () => recorded(home).filter((e) => e.event === 'request' || e.event === 'compact').map((e) => (e.event === 'compact' ? 'C' : Math.round((e.bytes as number) / 4))).join(' ');
  assert.equal(r.code, 0, `${r.stderr}${r.stdout}\nprompt sizes: ${sizes()}`);
  assert.match(r.stdout, /All done\./);
  const compactions = recorded(home).filter((e) => e.event === 'compact');
  assert.ok(compactions.length >= 1, 'Claude Code asked for a summary');
  assert.ok(compactions.every((c) => (c.step as number) < 16), 'before the work was done');
  // It compacted before the endpoint had to refuse anything, and the engine never saw an overflow.
  assert.equal((await d.rpc.request('status')).endpoint.rejectedTooLong, 0);
  const largest = Math.max(...recorded(home).filter((e) => e.event === 'count_tokens').map((e) => Math.ceil((e.bytes as number) / 4)));
  assert.ok(largest <= 32768 * 0.85, `largest prompt ${largest} tokens`);
  assertNoSystemEntries(home);
});

test('a long prefill: Claude Code takes the ping events sent before message_start, and the Write lands', async (t) => {
  // Pings every 100 ms through a 1.5 s prefill: a dozen of them before each answer's message_start.
  const home = makeHome(t, { config: { pingIntervalMs: 100 }, env: { FAKE_VLLM_PREFILL_MS: '1500' } });
  const target = join(home.dir, 'pinged.txt');
  home.env.FAKE_VLLM_SCRIPT = script([{ name: 'Write', input: { file_path: target, content: 'pinged' } }]);
  const r = await cclocal(t, home, ['--gemma-light', '--', '-p', `create ${target}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'pinged');
  assert.match(r.stdout, /All done\./);
  const lines = readFileSync(home.paths.daemonLog, 'utf8').split('\n').filter((l) => l.includes('"msg":"messages request"') && l.includes('"stream":true'));
  assert.ok(lines.length >= 2 && lines.every((l) => /"pings":([1-9]\d*)/.test(l) && l.includes('"status":200')), lines.join('\n'));
  // Each answer was asked for once: no watchdog or parser fault made Claude Code send it again.
  assert.equal(engineRequests(home).filter((q) => (q.tools as string[]).length > 0).length, 2);
});

test('claude-haiku calls (the tier of Claude Code\'s background work) are served, and every request gets an answer', async (t) => {
  const home = makeHome(t);
  home.env.FAKE_VLLM_SCRIPT = script([]);
  // Asking for a claude-haiku model by name: the endpoint serves it with the loaded model, never a 404.
  const r = await cclocal(t, home, ['--', '--model', 'claude-haiku-4-5-20251001', '-p', 'say hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /All done\./);
  const requests = engineRequests(home);
  assert.ok(requests.length >= 1);
  assert.ok(requests.every((q) => q.model === 'mlx-community/gemma-4-e4b-it-4bit'));
  const lines = readFileSync(home.paths.daemonLog, 'utf8').split('\n').filter((l) => l.includes('"msg":"messages request"'));
  assert.ok(lines.some((l) => l.includes('"requested":"claude-haiku-4-5-20251001"')), 'the request named the haiku model');
  assert.ok(lines.every((l) => l.includes('"status":200')), lines.join('\n'));
});

test('with a warm daemon, `cclocal -- …` execs claude straight from the launcher, without Node', async (t) => {
  const home = makeHome(t);
  const target = join(home.dir, 'warm.txt');
  home.env.FAKE_VLLM_SCRIPT = script([{ name: 'Write', input: { file_path: target, content: 'warm' } }]);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  assert.ok(existsSync(home.paths.attachScript), 'the daemon wrote the warm-path file');
  // A PATH with the launcher's checks (`cat`, `id`, `find`, `ps`) but no node: the Node client
  // cannot run, so only the warm path can succeed.
  const bin = join(home.dir, 'nonode');
  mkdirSync(bin);
  for (const tool of ['cat', 'id', 'find', 'ps']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const r = await cclocal(t, home, ['--', '-p', `create ${target}`], { PATH: bin });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'warm');
  await d.rpc.request('unload');
  assert.equal(existsSync(home.paths.attachScript), false, 'the file goes away when the engine is not ready');
});

test('cclocal --server loads the model and prints the full connect command', async (t) => {
  const home = makeHome(t);
  const r = await cclocal(t, home, ['--coder7b', '--server']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Server running at http://127\\.0\\.0\\.1:${home.port}`));
  assert.match(r.stdout, /env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN/);
  assert.match(r.stdout, /ANTHROPIC_MODEL='mlx-community\/Qwen2\.5-Coder-7B-Instruct-4bit'/);
  assert.match(r.stdout, /claude '--strict-mcp-config' '--mcp-config' '[^']*mcp-local\.json' '--tools' 'Bash,Read,Edit,Write,Glob,Grep,WebFetch'/);
});

test('errors a person can act on: unknown flag or model, Claude Code missing', async (t) => {
  const home = makeHome(t);
  const flag = await cclocal(t, home, ['--gpt5']);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /unknown option '--gpt5'/);
  assert.match(flag.stderr, /cclocal --help/);
  const model = await cclocal(t, home, ['--model', 'nonsense']);
  assert.equal(model.code, 1);
  assert.match(model.stderr, /unknown model "nonsense"/);
  const noClaude = await cclocal(t, home, ['--gemma-light'], { CCLOCAL_CLAUDE_BIN: join(home.dir, 'no-such-claude') });
  assert.equal(noClaude.code, 1);
  assert.match(noClaude.stderr, /Claude Code CLI not found[\s\S]*run \.\/install\.sh in the cclocal folder/);
  assert.deepEqual(liveEngines(home), [], 'nothing was started for a run that could not attach');
});
