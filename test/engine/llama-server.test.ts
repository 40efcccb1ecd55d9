// llama-server's facts as cclocald uses them: the argv for each kind of model reference, the
// catalog's GGUF repos, its readiness, its overflow and window answers, its leftover, its env.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultEngineName, llamaServer, vllmMlx } from '../../daemon/engine/kinds.js';
import { isLlamaLeftover, LLAMA_BUILD_VERSION, llamaArgv, overflowFrom, slotContext, windowFromSlots } from '../../daemon/engine/llama-server.js';
import { CATALOG, resolveModel } from '../../common/catalog.js';
import { ROOT } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp-home.js';

const ALL = { flags: new Set(['--jinja', '--no-webui', '--alias', '--reasoning', '--offline', '--api-key-file']), toolParsers: null, foreign: false };
const KEY = '/home/h/engine.key';
const OLD = { flags: new Set<string>(), toolParsers: null, foreign: false };

test('a local .gguf file is served with -m, one slot, loopback, and -c = the window + one answer', () => {
  const model = resolveModel('/models/tiny.gguf', 'llama-server')!;
  assert.deepEqual(llamaArgv({ model, port: 41000, contextWindow: 32768, caps: ALL, cached: true, keyFile: KEY }), [
    '-m', '/models/tiny.gguf', '--host', '127.0.0.1', '--port', '41000', '-c', '40960', '-np', '1',
    '--jinja', '--no-webui', '--alias', '/models/tiny.gguf', '--reasoning', 'off', '--api-key-file', KEY,
  ]);
});

test('a GGUF repo is fetched with -hf (its quant kept), and served --offline once it is downloaded', () => {
  const model = resolveModel('ggml-org/GLM-4.7-Flash-GGUF:Q4_K_M', 'llama-server')!;
  const fresh = llamaArgv({ model, port: 1, contextWindow: 8192, caps: ALL, cached: false, keyFile: KEY });
  assert.deepEqual(fresh.slice(0, 2), ['-hf', 'ggml-org/GLM-4.7-Flash-GGUF:Q4_K_M']);
  assert.ok(!fresh.includes('--offline'), 'a download needs the network');
  assert.ok(llamaArgv({ model, port: 1, contextWindow: 8192, caps: ALL, cached: true, keyFile: KEY }).includes('--offline'));
});

test('flags an older llama-server does not list are left out', () => {
  const argv = llamaArgv({ model: resolveModel('/m.gguf', 'llama-server')!, port: 1, contextWindow: 4096, caps: OLD, cached: true, keyFile: KEY });
  assert.deepEqual(argv, ['-m', '/m.gguf', '--host', '127.0.0.1', '--port', '1', '-c', '12288', '-np', '1']);
});

test('every catalog name has a published GGUF repo for llama-server, and its MLX repo for vllm-mlx', () => {
  for (const e of CATALOG) {
    const gguf = resolveModel(e.name, 'llama-server');
    assert.ok(gguf && 'repo' in gguf.source && gguf.source.quant === 'Q4_K_M', e.name);
    assert.equal(gguf.entry?.name, e.name);
    assert.equal(resolveModel(e.name, 'vllm-mlx')?.id, e.id);
  }
  assert.equal(resolveModel('gemma-light', 'llama-server')?.id, 'ggml-org/gemma-4-E4B-it-GGUF:Q4_K_M');
  assert.equal(resolveModel('light', 'llama-server')?.id, 'ggml-org/gemma-4-E4B-it-GGUF:Q4_K_M');
});

test('each kind refuses what it cannot serve: a .gguf on vllm-mlx, a relative path, a traversal', () => {
  assert.equal(resolveModel('/models/tiny.gguf', 'vllm-mlx'), undefined);
  assert.equal(resolveModel('models/tiny.gguf', 'llama-server'), undefined);
  assert.equal(resolveModel('../../etc', 'llama-server'), undefined);
  assert.equal(resolveModel('org/repo:Q4_K_M', 'vllm-mlx'), undefined);
  assert.equal(vllmMlx.resolveModel('/x.gguf'), undefined);
  assert.match(llamaServer.unknownModelHint('x'), /\.gguf/);
});

test('ready is 200 {"status":"ok"}; the 503 "Loading model" answer is not', () => {
  assert.equal(llamaServer.isReady(200, { status: 'ok' }), true);
  assert.equal(llamaServer.isReady(503, { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } }), false);
  assert.equal(llamaServer.isReady(200, 'ok'), false);
});

test("llama-server's exceed_context_size_error gives its numbers; other 400s give none", () => {
  const body = JSON.stringify({ error: { code: 400, message: 'the request exceeds the available context size', type: 'exceed_context_size_error', n_prompt_tokens: 9019, n_ctx: 8192 } });
  assert.deepEqual(overflowFrom(400, body), { tokens: 9019, max: 8192 });
  assert.equal(overflowFrom(400, JSON.stringify({ error: { type: 'invalid_request_error', message: 'bad' } })), null);
  assert.equal(overflowFrom(500, body), null);
  assert.equal(overflowFrom(400, 'not json'), null);
});

test('/slots smaller than asked means the engine holds less: the window it can hold, one answer kept free', () => {
  assert.equal(slotContext([{ id: 0, n_ctx: 40960 }]), 40960);
  assert.equal(slotContext({ error: 'slots disabled' }), null);
  assert.equal(windowFromSlots(40960, 32768), null, 'holds what was asked');
  assert.equal(windowFromSlots(41216, 32768), null, 'rounded up to 256 still holds it');
  assert.equal(windowFromSlots(32768, 32768), 24576, 'capped (by --fit or the trained context)');
  assert.equal(windowFromSlots(null, 32768), null);
});

test('a leftover is ours only if its command line has our binary, our port and our model', () => {
  const rec = { bin: '/cache/bin/llama-server', port: 41234, model: '/m/tiny.gguf' };
  assert.equal(isLlamaLeftover('/cache/bin/llama-server -m /m/tiny.gguf --host 127.0.0.1 --port 41234 -c 40960', rec), true);
  assert.equal(isLlamaLeftover('/cache/bin/llama-server -m /m/other.gguf --host 127.0.0.1 --port 41234', rec), false);
  assert.equal(isLlamaLeftover('/cache/bin/llama-server -m /m/tiny.gguf --port 5000', rec), false);
  assert.equal(isLlamaLeftover('vim /m/tiny.gguf --port 41234', rec), false);
});

test("a person's LLAMA_ARG_* and LLAMA_API_KEY never reach the engine: they would move its host or lock the daemon out", () => {
  const env = llamaServer.engineEnv({ PATH: '/bin', LLAMA_ARG_HOST: '0.0.0.0', LLAMA_API_KEY: 'k', LLAMA_CACHE: '/c', HF_HOME: '/h' });
  assert.deepEqual(env, { PATH: '/bin', LLAMA_CACHE: '/c', HF_HOME: '/h' });
});

test('-hf downloads are watched in LLAMA_CACHE (else the HF cache), cached once a snapshot holds the quant', (t) => {
  const dir = tempDir(t);
  const model = resolveModel('org/Model-GGUF:Q4_K_M', 'llama-server')!;
  const place = llamaServer.downloads(model, { LLAMA_CACHE: dir }, '/unused');
  assert.equal(place.dir, join(dir, 'models--org--Model-GGUF'));
  assert.equal(place.cached, false);
  mkdirSync(join(place.dir!, 'blobs'), { recursive: true });
  writeFileSync(join(place.dir!, 'blobs', 'abc.downloadInProgress'), 'x');
  assert.equal(place.isWriting(place.dir!), true);
  mkdirSync(join(place.dir!, 'snapshots', 'c0ffee'), { recursive: true });
  writeFileSync(join(place.dir!, 'snapshots', 'c0ffee', 'Model-Q8_0.gguf'), 'x');
  assert.equal(llamaServer.downloads(model, { LLAMA_CACHE: dir }, '/unused').cached, false, 'another quant, and still writing');
  writeFileSync(join(place.dir!, 'snapshots', 'c0ffee', 'Model-Q4_K_M.gguf'), 'x');
  assert.equal(llamaServer.downloads(model, { LLAMA_CACHE: dir }, '/unused').cached, false, 'still writing');
  rmSync(join(place.dir!, 'blobs', 'abc.downloadInProgress'));
  assert.equal(llamaServer.downloads(model, { LLAMA_CACHE: dir }, '/unused').cached, true, 'done');
  assert.equal(llamaServer.downloads(model, {}, dir).dir, join(dir, 'models--org--Model-GGUF'), 'the HF cache without LLAMA_CACHE');
  const file = llamaServer.downloads(resolveModel('/m.gguf', 'llama-server')!, {}, dir);
  assert.deepEqual([file.dir, file.cached], [null, true], 'a local file downloads nothing');
});

test('vllm-mlx on Apple Silicon, llama-server everywhere else', () => {
  assert.equal(defaultEngineName('darwin', 'arm64'), 'vllm-mlx');
  assert.equal(defaultEngineName('darwin', 'x64'), 'llama-server');
  assert.equal(defaultEngineName('linux', 'x64'), 'llama-server');
  assert.equal(defaultEngineName('linux', 'arm64'), 'llama-server');
});

test('the build script and the daemon agree on the pinned node-llama-cpp version', () => {
  const script = readFileSync(join(ROOT, 'scripts', 'build-llama-server.sh'), 'utf8');
  assert.match(script, new RegExp(`NODE_LLAMA_CPP_VERSION:-${LLAMA_BUILD_VERSION.replaceAll('.', '\\.')}\\}`));
});

test("each kind tells its own --help from another program's (a CCLOCAL_ENGINE_BIN set for the other engine)", () => {
  const llamaHelp = '----- common params -----\n-c,    --ctx-size N    size of the prompt context\n--jinja';
  const vllmHelp = 'usage: vllm-mlx serve [-h] [--port PORT]\n  --tool-call-parser {auto,qwen3_coder}';
  assert.equal(llamaServer.capabilitiesFromHelp(llamaHelp).foreign, false);
  assert.equal(llamaServer.capabilitiesFromHelp(vllmHelp).foreign, true);
  assert.equal(vllmMlx.capabilitiesFromHelp(vllmHelp).foreign, false);
  assert.equal(vllmMlx.capabilitiesFromHelp(llamaHelp).foreign, true);
});
