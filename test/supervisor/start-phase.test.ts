// Which phase an engine start reports: downloading or loading, from the HF cache folder's growth.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPhase, type PhaseInputs } from '../../daemon/supervisor/start-watch.js';

const base: PhaseInputs = { initialPhase: 'downloading', startedAt: 8000, lastGrowthAt: null, now: 10_000, quietMs: 5000, isWritingBlob: false };

const cases: Array<[string, Partial<PhaseInputs>, 'downloading' | 'loading']> = [
  ['an uncached model before its first byte is downloading (the hub resolves the repo first)', {}, 'downloading'],
  ['a cached model before any growth is loading', { initialPhase: 'loading' }, 'loading'],
  ['an uncached model with nothing written for the quiet time is loading (it was found elsewhere)', { startedAt: 4000 }, 'loading'],
  ['growth within the quiet time is downloading', { lastGrowthAt: 6000 }, 'downloading'],
  ['no growth for the quiet time and no blob being written is loading', { lastGrowthAt: 5000 }, 'loading'],
  ['a pause past the quiet time with a blob still being written is downloading', { lastGrowthAt: 1000, isWritingBlob: true }, 'downloading'],
  ['a cached model whose folder grew (a missing file fetched) is downloading', { initialPhase: 'loading', lastGrowthAt: 9000 }, 'downloading'],
];

for (const [name, over, expected] of cases) {
  test(name, () => assert.equal(startPhase({ ...base, ...over }), expected));
}
