import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preflight } from '../../daemon/preflight.js';

const GiB = 1024 ** 3;
const base = { contextWindow: 32768, defaultContextWindow: 32768, contextFloor: 4096, cachedBytes: 0, catalogBytes: 0, wiredLimitMb: 0 };

test('a 16 GB model on a 24 GB Mac is tight: shrink the context and raise the wired limit to RAM − 3 GB', () => {
  const r = preflight({ ...base, totalBytes: 24 * GiB, catalogBytes: 16 * GiB });
  assert.equal(r.gpuBudgetBytes, 18 * GiB); // 75% of RAM, the macOS default cap
  assert.equal(r.headroomBytes, 2 * GiB);
  assert.equal(r.tight, true);
  assert.deepEqual(r.recommend, { contextWindow: 16384, wiredLimitMb: 21504 });
});

test('a 5 GB model on a 24 GB Mac has ample headroom and no recommendation', () => {
  const r = preflight({ ...base, totalBytes: 24 * GiB, catalogBytes: 5 * GiB });
  assert.equal(r.tight, false);
  assert.deepEqual(r.recommend, {});
});

test('an explicit wired limit is the GPU budget', () => {
  const r = preflight({ ...base, totalBytes: 24 * GiB, wiredLimitMb: 21504, catalogBytes: 14 * GiB });
  assert.equal(r.gpuBudgetBytes, 21 * GiB);
  assert.equal(r.headroomBytes, 7 * GiB);
  assert.equal(r.tight, false);
});

test('the larger of cached size and catalog estimate counts, so a partial download is not optimistic', () => {
  assert.equal(preflight({ ...base, totalBytes: 24 * GiB, catalogBytes: 16 * GiB, cachedBytes: 3 * GiB }).modelBytes, 16 * GiB);
  assert.equal(preflight({ ...base, totalBytes: 24 * GiB, catalogBytes: 16 * GiB, cachedBytes: 17 * GiB }).modelBytes, 17 * GiB);
});

test('a wired limit already at the target is not recommended again', () => {
  const r = preflight({ ...base, totalBytes: 24 * GiB, wiredLimitMb: 21504, catalogBytes: 18 * GiB });
  assert.equal(r.tight, true);
  assert.deepEqual(r.recommend, { contextWindow: 16384 });
});

test('unknown RAM or unknown model size is never called tight', () => {
  assert.equal(preflight({ ...base, totalBytes: 0, catalogBytes: 16 * GiB }).tight, false);
  assert.equal(preflight({ ...base, totalBytes: 24 * GiB }).tight, false);
});

test('a context already at the floor is not shrunk further', () => {
  const r = preflight({ ...base, contextWindow: 4096, totalBytes: 24 * GiB, catalogBytes: 18 * GiB });
  assert.equal(r.recommend.contextWindow, undefined);
});

test('the recommendation starts from the default window, so a remembered shrink is not halved again', () => {
  const tight = { ...base, totalBytes: 24 * GiB, catalogBytes: 18 * GiB };
  assert.equal(preflight({ ...tight, contextWindow: 16384 }).recommend.contextWindow, undefined, 'already at half the default');
  assert.equal(preflight({ ...tight, contextWindow: 8192 }).recommend.contextWindow, undefined, 'never raised by the safeguard');
  assert.equal(preflight({ ...tight, contextWindow: 65536, defaultContextWindow: 32768 }).recommend.contextWindow, 16384, 'a raised window comes down to half the default');
});
