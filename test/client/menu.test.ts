// The interactive screens, driven in a real terminal (tmux) as a person would: arrow keys and Enter.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { shQuote } from '../../common/attach-env.js';
import { cclocald, FIXTURE_BIN, makeHome, ROOT, startDaemon } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const GiB = 1024 ** 3;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** Polls the pane until `pattern` shows (a deadline, not a sleep: it returns as soon as it shows). */
async function waitForScreen(session: string, pattern: RegExp, what: string, deadlineMs = 20_000): Promise<string> {
  const end = Date.now() + deadlineMs;
  let screen = '';
  while (Date.now() < end) {
    screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
    if (pattern.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
}

test('the menu picks a model with the arrow keys, and the safeguard menu shrinks the context', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t, { config: { platform: 'darwin' }, env: { FAKE_SYSCTL_HW_MEMSIZE: String(24 * GiB), FAKE_SYSCTL_IOGPU_WIRED_LIMIT_MB: '0' } });
  const d = await startDaemon(t, home);
  const record = join(home.dir, 'claude.jsonl');
  const env = { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude'), FAKE_CLAUDE_RECORD: record, TERM: 'xterm-256color' };
  const session = `ccl${process.pid}${Date.now() % 100000}`;
  const command = `env ${Object.entries(env).map(([k, v]) => `${k}=${shQuote(String(v))}`).join(' ')} ${shQuote(join(ROOT, 'bin', 'cclocal'))}; echo "exit=$?"; sleep 600`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', command]);
  onCleanup(t, () => { spawnSync('tmux', ['kill-session', '-t', session]); return cclocald(home, 'stop'); });

  const menu = await waitForScreen(session, /Gemma-4-26B-A4B MoE/, 'the model menu');
  assert.match(menu, /Model on vllm-mlx/, "the menu names the engine it loads on");
  assert.match(menu, /○ 1\) Gemma-4-E4B/);
  assert.match(menu, /--gemma .*\[tight on memory\]/);
  execFileSync('tmux', ['send-keys', '-t', session, 'Down', 'Enter']);
  const safeguards = await waitForScreen(session, /Shrink context/, 'the safeguard menu');
  assert.match(safeguards, /Tight memory\s+~16GB model, GPU budget ~18GB/);
  assert.match(safeguards, /Raise GPU limit\s+iogpu\.wired_limit_mb → 21504/);
  execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
  await waitForScreen(session, /exit=0/, 'cclocal to finish');

  assert.ok(existsSync(record));
  const ran = JSON.parse(readFileSync(record, 'utf8').trim().split('\n')[0]!) as { argv: string[]; env: Record<string, string> };
  assert.equal(ran.env.ANTHROPIC_MODEL, 'mlx-community/gemma-4-26b-a4b-it-4bit');
  assert.equal(ran.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS, String(16384 + 8192), 'Claude Code is told the shrunk window (plus the answer budget)');
  assert.equal((await d.rpc.request('status')).engine.contextWindow, 16384);
});

test("the menu's cache screen deletes a cached model after a yes, and refuses the loaded one", { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t);
  const old = join(home.hfCache, 'models--zz-org--old-model');
  mkdirSync(join(old, 'blobs'), { recursive: true });
  writeFileSync(join(old, 'blobs', 'weights'), Buffer.alloc(3 * 1024 * 1024));
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' }); // the stand-in "downloads" nothing: write its folder too
  mkdirSync(join(home.hfCache, 'models--mlx-community--gemma-4-e4b-it-4bit', 'snapshots', 'main'), { recursive: true });
  const env = { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude'), TERM: 'xterm-256color' };
  const session = `ccl${process.pid}${Date.now() % 100000}`;
  const command = `env ${Object.entries(env).map(([k, v]) => `${k}=${shQuote(String(v))}`).join(' ')} ${shQuote(join(ROOT, 'bin', 'cclocal'))}; echo "exit=$?"; sleep 600`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', command]);
  onCleanup(t, () => { spawnSync('tmux', ['kill-session', '-t', session]); return cclocald(home, 'stop'); });
  const keys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', session, ...k]);

  const menu = await waitForScreen(session, /q\) Quit/, 'the model menu');
  assert.match(menu, /● 1\) Gemma-4-E4B .*\[loaded, warm\]/);
  keys('Up', 'Up', 'Up', 'Enter'); // from the loaded model, up past Quit and List to Manage cache
  const manage = await waitForScreen(session, /Delete a cached model/, 'the cache screen');
  assert.match(manage, /1\) mlx-community\/gemma-4-e4b-it-4bit .*\[loaded — unload first\]/);
  assert.match(manage, /2\) zz-org\/old-model \(3M\)/);
  keys('Down', 'Enter');
  await waitForScreen(session, /Delete zz-org\/old-model \(3M\)\?/, 'the confirmation');
  keys('y', 'Enter');
  await waitForScreen(session, /Deleted\./, 'the deletion');
  assert.equal(existsSync(old), false);
  keys('Enter'); // the loaded model, first in the list again
  await waitForScreen(session, /Refused: mlx-community\/gemma-4-e4b-it-4bit is loaded in cclocald; run `cclocald unload` first/, 'the refusal');
  assert.ok(existsSync(join(home.hfCache, 'models--mlx-community--gemma-4-e4b-it-4bit')));
  keys('Down', 'Down', 'Enter'); // b) Back
  await waitForScreen(session, /Refused[\s\S]*q\) Quit/, 'the model menu again');
  keys('Up', 'Enter'); // from the loaded model up to Quit
  await waitForScreen(session, /Bye\.[\s\S]*exit=0/, 'cclocal to quit');
});

test('the menu marks a loaded model whose window is below its default, and says how to raise it', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light', contextWindow: 16384 });
  const env = { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude'), TERM: 'xterm-256color' };
  const session = `ccl${process.pid}${Date.now() % 100000}`;
  const command = `env ${Object.entries(env).map(([k, v]) => `${k}=${shQuote(String(v))}`).join(' ')} ${shQuote(join(ROOT, 'bin', 'cclocal'))}; echo "exit=$?"; sleep 600`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', command]);
  onCleanup(t, () => { spawnSync('tmux', ['kill-session', '-t', session]); return cclocald(home, 'stop'); });
  const menu = await waitForScreen(session, /q\) Quit/, 'the model menu');
  assert.match(menu, /1\) Gemma-4-E4B .*\[loaded, warm\]  \[window shrunk\]/);
  // The loaded model is highlighted first, so its note shows at once.
  assert.match(menu, /⚠ context window 16384 tokens, below this model's default of 32768; to raise it: cclocald load gemma-light --ctx 32768/);
  execFileSync('tmux', ['send-keys', '-t', session, 'Up', 'Enter']); // from the loaded model up to Quit
  await waitForScreen(session, /Bye\.[\s\S]*exit=0/, 'cclocal to quit');
});
