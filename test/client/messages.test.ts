// What cclocal says (issue #13, item 4): a hint for claude's arguments given without `--`, no
// macOS-only advice on Linux, and one line after Claude Code exits saying the model stays warm,
// what it holds and how to free it. The terminal runs are real ones, in tmux.
import assert from 'node:assert/strict';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { residentBytes, warmNote, withClaudeArgsAfterDashes } from '../../client/attach.js';
import type { StatusResult } from '../../daemon/protocol/protocol.js';
import { cclocald, FIXTURE_BIN, makeHome, ROOT, runProgram, startDaemon, statusUntil, type TestHome } from '../helpers/daemon.js';
import { hasTmux, tmuxPane } from '../helpers/tmux.js';

const CCLOCAL = join(ROOT, 'bin', 'cclocal');
const FAKE_CLAUDE = join(FIXTURE_BIN, 'fake-claude');
const GiB = 1024 ** 3;

test("claude's options without `--` get the command that was meant, and exit 1 before any daemon starts", async (t) => {
  const home = makeHome(t);
  const env = { ...home.env, CCLOCAL_CLAUDE_BIN: FAKE_CLAUDE };
  const cases: Array<[string[], string, string]> = [
    [['-p', 'fix the failing test'], "unknown option '-p'", "cclocal -- -p 'fix the failing test'"],
    [['--coder', '--print', 'hi'], "unknown option '--print'", 'cclocal --coder -- --print hi'],
    [['--resume'], "unknown option '--resume'", 'cclocal -- --resume'],
    [['-c', '--gemma'], "unknown option '-c'", 'cclocal --gemma -- -c'],
    [['--model', 'org/x', '--allowedTools', 'Bash(git *)', '--out-tokens', '9000'], "unknown option '--allowedTools'", "cclocal --model org/x --out-tokens 9000 -- --allowedTools 'Bash(git *)'"],
    [['--safe-mode'], "unknown option '--safe-mode'", 'cclocal -- --safe-mode'], // claude's, though it looks like --safe
    [['-p', 'x', '--', '--verbose'], "unknown option '-p'", 'cclocal -- -p x --verbose'],
    [['--gemma', 'fix it'], "unexpected argument 'fix it' (cclocal takes no prompt of its own)", "cclocal --gemma -- 'fix it'"],
  ];
  for (const [args, said, meant] of cases) {
    const r = await runProgram(CCLOCAL, args, { env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `cclocal: ${said}\n  hint: arguments for claude go after --: ${meant}\n`);
    assert.equal(r.stdout, '');
  }
  assert.equal(existsSync(home.paths.socket), false, 'no daemon was started for a command line that was refused');
});

test("a typo of cclocal's own option keeps commander's suggestion", async (t) => {
  const home = makeHome(t);
  const r = await runProgram(CCLOCAL, ['--gemma-lite'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: FAKE_CLAUDE } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown option '--gemma-lite'\n\(Did you mean --gemma-light\?\)\nRun 'cclocal --help' for usage\./);
  assert.doesNotMatch(r.stderr, /go after --/);
});

test('the suggested command keeps the values of cclocal options that take one, in either spelling', () => {
  const ours: Record<string, boolean> = { '--model': true, '--engine': true, '--out-tokens': true, '--gemma': false, '-l': false };
  const ourOption = (name: string) => (name in ours ? { takesValue: ours[name]! } : null);
  assert.equal(withClaudeArgsAfterDashes(['--engine=llama-server', '-p', "it's", '--model', 'a/b'], [], ourOption), `cclocal --engine=llama-server --model a/b -- -p 'it'\\''s'`);
  assert.equal(withClaudeArgsAfterDashes(['-p'], ['--verbose'], ourOption), 'cclocal -- -p --verbose');
});

const engine = (over: Partial<StatusResult['engine']>): StatusResult['engine'] => ({
  kind: 'vllm-mlx', state: 'ready', model: 'org/model', contextWindow: 32768, contextShrunkFrom: null, pid: 4242, url: 'http://127.0.0.1:1',
  restarts: 0, lastCrash: null, progress: null, memory: null, ...over,
} as StatusResult['engine']);

test('the warm note: the engine\'s own memory figure, else the resident memory, else no figure; nothing for a remote or an engine that is not ready', () => {
  assert.equal(warmNote(engine({ memory: { activeGB: 5.25, peakGB: 6.5, cacheGB: 0.75 } }), 99 * GiB), 'cclocald keeps org/model warm (5.3 GB); free it with: cclocald unload');
  assert.equal(warmNote(engine({ kind: 'llama-server' }), 1.5 * GiB), 'cclocald keeps org/model warm (1.5 GB); free it with: cclocald unload');
  assert.equal(warmNote(engine({}), 300 * 1024 * 1024), 'cclocald keeps org/model warm (300 MB); free it with: cclocald unload');
  assert.equal(warmNote(engine({}), null), 'cclocald keeps org/model warm; free it with: cclocald unload');
  assert.equal(warmNote(engine({ kind: 'remote' }), null), null);
  assert.equal(warmNote(engine({ state: 'backoff' }), GiB), null);
  assert.equal(warmNote(engine({ state: 'stopped', model: null }), null), null);
});

test('resident memory comes from ps, in bytes; a process that is gone has none', async () => {
  const mine = await residentBytes(process.pid);
  assert.ok(mine !== null && mine > 10 * 1024 * 1024 && mine < 64 * GiB, String(mine));
  assert.equal(await residentBytes(2 ** 22 + 12345), null);
});

/** Runs bin/cclocal in a tmux pane of its own and returns a reader of the screen and a key sender. */
function inTerminal(t: TestContext, home: TestHome, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return tmuxPane(t, [CCLOCAL, ...args], { ...home.env, CCLOCAL_CLAUDE_BIN: FAKE_CLAUDE, ...extraEnv }, { width: 200, cleanup: () => cclocald(home, 'stop') });
}

test('on Linux the memory safeguard offers the context shrink, continue and quit, and nothing of macOS\'s wired limit', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  // A model far larger than any machine's memory (a sparse file), so it is tight here whatever the RAM.
  const home = makeHome(t, { config: { platform: 'linux' } });
  const blobs = join(home.hfCache, 'models--someorg--huge-model', 'blobs');
  mkdirSync(blobs, { recursive: true });
  const fd = openSync(join(blobs, 'weights'), 'w');
  ftruncateSync(fd, 4 * 1024 * GiB);
  closeSync(fd);
  await startDaemon(t, home);
  const pane = inTerminal(t, home, ['--model', 'someorg/huge-model']);
  const menu = await pane.waitFor(/q\) Quit/, 'the safeguard menu');
  assert.match(menu, /Tight memory\s+~4096GB model/);
  assert.match(menu, /1\) Shrink context\s+to 16384 tokens \(recommended\)/);
  assert.match(menu, /c\) Continue as-is \(risky\)/);
  assert.doesNotMatch(menu, /GPU limit|iogpu|wired|sudo|Both/);
  pane.keys('Down', 'Down', 'Enter'); // 1) → c) → q)
  const end = await pane.waitFor(/exit=\d+/, 'cclocal to quit');
  assert.match(end, /Aborted\.[\s\S]*exit=0/);
  assert.doesNotMatch(end, /Could not set it|sudo/);
});

test('after a session at a terminal, one line says the model stays warm, what it holds, and how to free it; a script gets none', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  await statusUntil(d, (s) => s.engine.memory !== null, 'the engine\'s memory figure');
  const pane = inTerminal(t, home, ['--gemma-light', '--', '-p', 'x']);
  const screen = await pane.waitFor(/exit=\d+/, 'cclocal to finish');
  assert.match(screen, /fake claude ran\ncclocald keeps mlx-community\/gemma-4-e4b-it-4bit warm \(5\.3 GB\); free it with: cclocald unload\nexit=0/);

  const piped = await runProgram(CCLOCAL, ['--gemma-light', '--', '-p', 'x'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: FAKE_CLAUDE } });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /fake claude ran/);
  assert.doesNotMatch(piped.stderr, /warm/);
});

test('the warm fast path (no Node) says the same line after a session at a terminal, and keeps claude\'s exit status', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  await statusUntil(d, (s) => s.engine.state === 'ready', 'ready');
  // The shell reads the engine's resident memory (the stand-in's is some MB); the Node client
  // would give the engine's own figure, 5.3 GB.
  const pane = inTerminal(t, home, ['--', '-p', 'x'], { FAKE_CLAUDE_EXIT: '3' });
  const screen = await pane.waitFor(/exit=\d+/, 'cclocal to finish');
  assert.match(screen, /fake claude ran\ncclocald keeps mlx-community\/gemma-4-e4b-it-4bit warm \(\d+ MB\); free it with: cclocald unload\nexit=3/);
});
