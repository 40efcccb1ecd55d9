// Choosing the engine: CCLOCAL_ENGINE, config.json `engine`, the platform's default, a client's
// --engine and its CCLOCAL_ENGINE_BIN, each checked on a real daemon and the real CLIs.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cclocald, FAKE_ENGINE, makeHome, recorded, ROOT, runProgram, spawnDaemon, startDaemon } from '../helpers/daemon.js';
import { once } from 'node:events';

test('an unknown CCLOCAL_ENGINE stops the daemon at start with the kinds it knows', async (t) => {
  const home = makeHome(t, { env: { CCLOCAL_ENGINE: 'ollama' } });
  const proc = spawnDaemon(home);
  const [code] = (await once(proc, 'exit')) as [number];
  assert.equal(code, 1);
  assert.match(proc.output(), /CCLOCAL_ENGINE must be one of vllm-mlx, llama-server, remote, got "ollama"/);
});

test('config.json `engine` is refused unless it names a kind, without echoing a huge value', async (t) => {
  const home = makeHome(t, { config: { engine: 'x'.repeat(100_000) } });
  const proc = spawnDaemon(home);
  const [code] = (await once(proc, 'exit')) as [number];
  assert.equal(code, 1);
  assert.match(proc.output(), /engine must be one of vllm-mlx, llama-server, remote/);
  assert.ok(proc.output().length < 2000, 'the message stays one line');
});

test('config.json `engine` chooses the kind when CCLOCAL_ENGINE is unset, and CCLOCAL_ENGINE wins over it', async (t) => {
  const fromConfig = makeHome(t, { config: { engine: 'llama-server' }, env: { CCLOCAL_ENGINE: undefined } });
  const a = await startDaemon(t, fromConfig);
  const sa = await a.rpc.request('status');
  assert.equal(sa.engine.kind, 'llama-server');
  // CCLOCAL_ENGINE_BIN names the configured kind's executable: here the stand-in, as llama-server.
  assert.equal(sa.engine.bin, FAKE_ENGINE);
  const fromEnv = makeHome(t, { config: { engine: 'llama-server' }, env: { CCLOCAL_ENGINE: 'vllm-mlx' } });
  const b = await startDaemon(t, fromEnv);
  assert.equal((await b.rpc.request('status')).engine.kind, 'vllm-mlx');
});

test("a client's fixed CCLOCAL_ENGINE_BIN is used by the running daemon at once, with no restart", async (t) => {
  const home = makeHome(t, { env: { CCLOCAL_ENGINE_BIN: '/nonexistent/vllm-mlx' } });
  const d = await startDaemon(t, home);
  const broken = await cclocald(home, 'load', 'gemma-light');
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /vllm-mlx not found \(looked at \/nonexistent\/vllm-mlx\)/);
  const fixed = await cclocald({ ...home, env: { ...home.env, CCLOCAL_ENGINE_BIN: FAKE_ENGINE } }, 'load', 'gemma-light');
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /ready: mlx-community\/gemma-4-e4b-it-4bit .* vllm-mlx http/);
  const s = await d.rpc.request('status');
  assert.deepEqual([s.engine.state, s.engine.bin], ['ready', FAKE_ENGINE]);
  assert.equal(recorded(home).filter((r) => r.event === 'start').length, 1);
});

test('cclocal and cclocald refuse an unknown --engine before touching the daemon', async (t) => {
  const home = makeHome(t);
  const a = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--engine', 'ollama', '--server'], { env: home.env, cwd: home.dir });
  assert.equal(a.code, 1);
  assert.match(a.stderr, /unknown engine "ollama" \(known: vllm-mlx, llama-server, remote\)/);
  const b = await cclocald(home, 'load', 'gemma-light', '--engine', 'ollama');
  assert.equal(b.code, 1);
  assert.match(b.stderr, /unknown engine "ollama"/);
  assert.equal(recorded(home).filter((r) => r.event === 'start').length, 0);
});

test('a running daemon asked for an engine it cannot find says so with the fix, and keeps what it serves', async (t) => {
  const home = makeHome(t); // the vllm-mlx stand-in, as the test helper sets it up
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  // A shell that names no llama-server of its own: the daemon's lookup finds none either.
  const env: NodeJS.ProcessEnv = { ...home.env, CCLOCAL_BUILD_CACHE: join(home.dir, 'no-build') };
  delete env.CCLOCAL_ENGINE_BIN;
  const nowhere = { ...home, env };
  const model = join(home.dir, 'm.gguf');
  writeFileSync(model, 'GGUF');
  const r = await cclocald(nowhere, 'load', model, '--engine', 'llama-server');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /llama-server not found .*\(engine-missing\)\n  hint: run \.\/install\.sh/);
  const s = await d.rpc.request('status');
  assert.deepEqual([s.engine.kind, s.engine.state, s.engine.model], ['vllm-mlx', 'ready', 'mlx-community/gemma-4-e4b-it-4bit']);
});
