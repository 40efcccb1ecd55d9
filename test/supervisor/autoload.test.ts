import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoloadTarget } from '../../daemon/supervisor/model-settings.js';
import type { PersistedState } from '../../daemon/state-store.js';

const state = (p: Partial<PersistedState>): PersistedState => ({ lastModel: 'm', lastEngine: null, lastEngineBin: null, lastConfiguredEngine: null, contexts: {}, ...p });

test('the last model comes back on the engine a client chose, with the executable it named', () => {
  assert.deepEqual(autoloadTarget(state({ lastEngine: 'llama-server', lastEngineBin: '/x/llama-server', lastConfiguredEngine: 'vllm-mlx' }), 'vllm-mlx'),
    { model: 'm', engine: 'llama-server', engineBin: '/x/llama-server' });
});

test('a configured engine changed since then wins, with its own lookup', () => {
  assert.deepEqual(autoloadTarget(state({ lastEngine: 'vllm-mlx', lastEngineBin: '/venv/vllm-mlx', lastConfiguredEngine: 'vllm-mlx' }), 'llama-server'),
    { model: 'm', engine: 'llama-server' });
});

test('state from before engines were recorded loads on the configured one; no last model, nothing', () => {
  assert.deepEqual(autoloadTarget(state({}), 'vllm-mlx'), { model: 'm', engine: 'vllm-mlx' });
  assert.equal(autoloadTarget(state({ lastModel: null }), 'vllm-mlx'), null);
});
