import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitsMajor, incompatible } from '../../scripts/check-engines.js';

const cases: Array<[string, number, boolean]> = [
  ['>=18', 20, true], ['>=22.0.0', 20, false], ['^18.19.0 || >=20.5.0', 20, true], ['>= 14.16.0', 20, true],
  ['^20.12 || >=22', 20, true], ['>=20', 20, true], ['18 || 22', 20, false],
];
for (const [range, major, ok] of cases) test(`engines "${range}" ${ok ? 'admits' : 'refuses'} Node ${major}`, () => assert.equal(admitsMajor(range, major), ok));

test('every direct dependency installed here supports Node 20', () => {
  assert.deepEqual(incompatible(20), []);
});
