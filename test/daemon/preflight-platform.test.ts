// The memory safeguard on Linux (issue #13, item 4): iogpu.wired_limit_mb is macOS's, so the daemon
// never recommends it there; the context shrink is recommended the same way on both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preflight } from '../../daemon/preflight.js';

const GiB = 1024 ** 3;
const tight = { contextWindow: 32768, defaultContextWindow: 32768, contextFloor: 4096, cachedBytes: 0, catalogBytes: 16 * GiB, wiredLimitMb: 0, totalBytes: 24 * GiB };

test('on linux a tight model gets the context shrink and never the macOS wired limit', () => {
  const r = preflight({ ...tight, platform: 'linux' });
  assert.equal(r.tight, true);
  assert.deepEqual(r.recommend, { contextWindow: 16384 });
});

test('on darwin the same model gets both, as the seed did', () => {
  assert.deepEqual(preflight({ ...tight, platform: 'darwin' }).recommend, { contextWindow: 16384, wiredLimitMb: 21504 });
});

test('on linux the budget and the headroom are the same math', () => {
  const mac = preflight({ ...tight, platform: 'darwin' });
  const linux = preflight({ ...tight, platform: 'linux' });
  assert.deepEqual({ ...linux, recommend: null }, { ...mac, recommend: null });
});
