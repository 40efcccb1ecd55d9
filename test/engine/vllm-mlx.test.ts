import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveModel } from '../../common/catalog.js';
import { buildArgv, buildEnv, capabilitiesFromHelp, isHealthyBody, memoryFromStatus } from '../../daemon/engine/vllm-mlx.js';

const FORK = capabilitiesFromHelp('  --tool-call-parser {auto,qwen3_coder,gemma4,qwen3_xml}\n  --tool-call-truncation-notice\n');
const UPSTREAM = capabilitiesFromHelp('  --tool-call-parser {auto,qwen3_coder,gemma4}\n');

function argvFor(name: string, caps = FORK) {
  const m = resolveModel(name)!;
  return buildArgv({ modelId: m.id, port: 41000, toolParser: m.toolParser, reasoningParser: m.reasoningParser }, caps);
}

test('gemma-light is served as the seed serves it, with the fork-only truncation notice', () => {
  assert.deepEqual(argvFor('gemma-light'), [
    'serve', 'mlx-community/gemma-4-e4b-it-4bit', '--port', '41000', '--host', '127.0.0.1', '--max-tokens', '32768', '--prefill-step-size', '4096',
    '--timeout', '1800', '--enable-auto-tool-choice', '--tool-call-parser', 'gemma4',
    '--default-chat-template-kwargs', '{"enable_thinking": false, "preserve_thinking": false}',
    '--reasoning-parser', 'gemma4', '--tool-call-truncation-notice',
  ]);
});

test("Qwen models get Qwen's sampling defaults and never top_k or penalties", () => {
  const argv = argvFor('qwen3');
  assert.deepEqual(argv.slice(argv.indexOf('--default-temperature')), ['--default-temperature', '0.7', '--default-top-p', '0.80', '--tool-call-truncation-notice']);
  assert.ok(!argv.some((a) => /top-k|min-p|penalty/.test(a)));
  assert.equal(argv[argv.indexOf('--reasoning-parser') + 1], 'qwen3');
});

test('on upstream vllm-mlx the fork-only parser name and flag are left out', () => {
  const argv = argvFor('coder', UPSTREAM);
  assert.equal(argv[argv.indexOf('--tool-call-parser') + 1], 'qwen3_coder');
  assert.ok(!argv.includes('--tool-call-truncation-notice'));
});

test('the engine is always told 127.0.0.1, even when its --help could not be read', () => {
  const withHost = capabilitiesFromHelp('usage: vllm-mlx serve [-h] [--host HOST] [--port PORT]\n  --tool-call-parser {auto,gemma4}\n');
  assert.deepEqual(argvFor('gemma-light', withHost).slice(2, 6), ['--port', '41000', '--host', '127.0.0.1']);
  assert.deepEqual(argvFor('gemma-light', capabilitiesFromHelp('')).slice(2, 6), ['--port', '41000', '--host', '127.0.0.1']);
});

test('a custom model id gets the auto parser and no reasoning parser', () => {
  const argv = argvFor('someone/Some-Model-4bit');
  assert.equal(argv[argv.indexOf('--tool-call-parser') + 1], 'auto');
  assert.ok(!argv.includes('--reasoning-parser'));
});

test('the engine env turns thinking off and makes overlapping requests wait', () => {
  assert.deepEqual(buildEnv(), { VLLM_MLX_ENABLE_THINKING: 'false', VLLM_MLX_SIMPLE_ENGINE_LOCK_ADMISSION: 'wait' });
});

test('only status "healthy" is ready; "unhealthy" is not', () => {
  assert.equal(isHealthyBody({ status: 'healthy' }), true);
  assert.equal(isHealthyBody({ status: 'unhealthy' }), false);
  assert.equal(isHealthyBody('healthy'), false);
  assert.equal(isHealthyBody(null), false);
});

test('Metal memory is read from /v1/status when present', () => {
  assert.deepEqual(memoryFromStatus({ metal: { active_memory_gb: 5.5, peak_memory_gb: 7, cache_memory_gb: 1 } }), { activeGB: 5.5, peakGB: 7, cacheGB: 1 });
  assert.equal(memoryFromStatus({ status: 'running' }), null);
});

test('catalog names, the --light alias and full ids resolve; anything else is unknown', () => {
  assert.equal(resolveModel('light')?.id, 'mlx-community/gemma-4-e4b-it-4bit');
  assert.equal(resolveModel('mlx-community/GLM-4.7-Flash-4bit')?.entry?.name, 'review');
  assert.equal(resolveModel('not-a-model'), undefined);
  assert.equal(resolveModel('../../etc'), undefined);
});
