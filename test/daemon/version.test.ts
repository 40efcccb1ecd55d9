// `cclocald --version` and `cclocal --version` (issue #13, item 1): the version, then the Claude
// Code and the engine this machine has, found the way a load finds them, and the daemon running.
// Stand-ins answer `--version` as the real programs do; none of it needs a daemon.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { claudeVersionFrom, llamaVersionFrom, looseVersionFrom, probeVersion, vllmMlxInstalledVersion } from '../../daemon/version.js';
import { packageVersion } from '../../common/version.js';
import { cclocald, FAKE_ENGINE, makeHome, ROOT, runProgram, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp-home.js';

const VERSION = packageVersion();

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('the version is read from what each program prints', () => {
  assert.equal(claudeVersionFrom('2.1.332 (Claude Code)\n'), '2.1.332');
  assert.equal(claudeVersionFrom('2.2.0-beta.1 (Claude Code)'), '2.2.0-beta.1');
  assert.equal(llamaVersionFrom('version: 6123 (abc1234)\nbuilt with cc for x86_64-linux-gnu\n'), 'b6123, commit abc1234');
  assert.equal(llamaVersionFrom('ggml_cuda_init: no devices\nversion: 0.4.0-dev (build 1, commit 80fb11a)\nbuilt with GNU 12.2.0'), '0.4.0-dev, build 1, commit 80fb11a');
  assert.equal(llamaVersionFrom('version: 0 (unknown)'), null, 'a build outside git knows no version');
  assert.equal(llamaVersionFrom('usage: llama-server [options]'), null);
  assert.equal(looseVersionFrom('vllm-mlx 0.2.6'), '0.2.6');
  assert.equal(looseVersionFrom('usage: vllm-mlx {serve,bench}'), null);
});

test("vllm-mlx's version is the one pip installed in the environment its executable belongs to, through a symlink too", (t) => {
  const dir = tempDir(t);
  const venv = join(dir, 'venv');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  mkdirSync(join(venv, 'lib', 'python3.12', 'site-packages', 'vllm_mlx-0.2.6.dist-info'), { recursive: true });
  mkdirSync(join(venv, 'lib', 'python3.12', 'site-packages', 'mlx-0.29.1.dist-info'));
  const bin = script(join(venv, 'bin'), 'vllm-mlx', 'exit 2');
  assert.equal(vllmMlxInstalledVersion(bin), '0.2.6');
  const link = join(dir, 'vllm-mlx');
  symlinkSync(bin, link);
  assert.equal(vllmMlxInstalledVersion(link), '0.2.6', 'pipx and ~/.local/bin link to the venv');
  assert.equal(vllmMlxInstalledVersion(FAKE_ENGINE), null);
});

test('a program that never answers --version is given up on at the deadline', async (t) => {
  const hang = script(tempDir(t), 'hang', 'exec sleep 30');
  const started = Date.now();
  const p = await probeVersion(hang, ['--version'], looseVersionFrom, { timeoutMs: 300 });
  assert.ok(Date.now() - started < 5000, 'not the 30 s of its sleep');
  assert.deepEqual(p, { version: null, why: '`--version` did not answer within 0.3 s' });
});

test('cclocald --version names its version, Claude Code and the engine with their paths, and needs no daemon', async (t) => {
  const dir = tempDir(t);
  const claude = script(dir, 'claude', 'echo "2.1.332 (Claude Code)"');
  const llama = script(dir, 'llama-server', 'echo "version: 6123 (abc1234)" >&2; echo "built with cc for x86_64-linux-gnu" >&2');
  const home = makeHome(t, { env: { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: llama, CCLOCAL_CLAUDE_BIN: claude } });
  const r = await cclocald(home, '--version');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    `cclocald ${VERSION}`,
    `Claude Code 2.1.332 (${claude})`,
    `llama-server b6123, commit abc1234 (${llama})`,
    'daemon: not running',
  ]);
  assert.equal(r.stderr, '');
  assert.deepEqual((await cclocald(home, '-V')).stdout, r.stdout);
});

test('cclocald --version says what is missing, and how to get it', async (t) => {
  const home = makeHome(t, { env: { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: undefined, CCLOCAL_CLAUDE_BIN: '/nonexistent/claude', PATH: '/usr/bin:/bin', CCLOCAL_BUILD_CACHE: tempDir(t) } });
  const r = await runProgram(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon', 'main.ts'), '--version'], { env: home.env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[1]!, /^Claude Code: not found \(\/nonexistent\/claude; run \.\/install\.sh in the cclocal folder .*CCLOCAL_CLAUDE_BIN.*\)$/);
  assert.match(lines[2]!, /^llama-server: not found \(run \.\/install\.sh .*CCLOCAL_ENGINE_BIN/);
});

test('cclocald --version with the stand-in vllm-mlx, which has no --version, and with a daemon running', async (t) => {
  const dir = tempDir(t);
  const claude = script(dir, 'claude', 'echo "2.1.332 (Claude Code)"');
  const home = makeHome(t, { env: { CCLOCAL_CLAUDE_BIN: claude } });
  const d = await startDaemon(t, home);
  const r = await cclocald(home, '--version');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[2]!, new RegExp(`^vllm-mlx: version unknown \\(${FAKE_ENGINE}; \`--version\` failed: usage: vllm-mlx`));
  assert.equal(lines[3], `daemon: running, pid ${d.proc.pid}`);
});

test('cclocal --version prints its own version, then what cclocald finds', async (t) => {
  const dir = tempDir(t);
  const claude = script(dir, 'claude', 'echo "2.1.332 (Claude Code)"');
  const llama = script(dir, 'llama-server', 'echo "version: 6123 (abc1234)" >&2');
  const home = makeHome(t, { env: { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: llama, CCLOCAL_CLAUDE_BIN: claude } });
  const r = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--version'], { env: home.env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    `cclocal ${VERSION}`,
    `Claude Code 2.1.332 (${claude})`,
    `llama-server b6123, commit abc1234 (${llama})`,
    'daemon: not running',
  ]);
});
