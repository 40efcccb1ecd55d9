import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listCached, removeCached, ServedModelError } from '../../client/hf-cache.js';
import { tempDir } from '../helpers/temp-home.js';

test('the model the daemon serves cannot be deleted; another one can', (t) => {
  const hub = tempDir(t);
  for (const n of ['models--a--served', 'models--b--other']) { mkdirSync(join(hub, n)); writeFileSync(join(hub, n, 'f'), 'x'); }
  const [served, other] = listCached(hub);
  assert.throws(() => removeCached(served!, 'a/served'), ServedModelError);
  assert.ok(existsSync(served!.dir));
  removeCached(other!, 'a/served');
  assert.equal(existsSync(other!.dir), false);
});
