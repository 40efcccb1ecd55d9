import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readLines, writeLine } from '../../daemon/protocol/framing.js';

function collect(max?: number) {
  const stream = new PassThrough();
  const lines: string[] = [];
  let overflows = 0;
  readLines(stream, { onLine: (l) => lines.push(l), onOverflow: () => { overflows++; } }, max);
  return { stream, lines, overflows: () => overflows };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a line split across chunks arrives whole', async () => {
  const c = collect();
  c.stream.write('{"a":');
  c.stream.write('1}\n{"b"');
  c.stream.write(':2}\n');
  await tick();
  assert.deepEqual(c.lines, ['{"a":1}', '{"b":2}']);
});

test('a multi-byte character split between chunks survives', async () => {
  const c = collect();
  const bytes = Buffer.from('{"m":"→ ünï"}\n');
  c.stream.write(bytes.subarray(0, 7)); // inside the 3-byte arrow
  c.stream.write(bytes.subarray(7));
  await tick();
  assert.deepEqual(c.lines, ['{"m":"→ ünï"}']);
});

test('an over-long line is dropped, reported once, and the next line still arrives', async () => {
  const c = collect(32);
  c.stream.write('x'.repeat(20));
  c.stream.write('y'.repeat(20));
  c.stream.write('z'.repeat(20) + '\n{"ok":true}\n');
  await tick();
  assert.equal(c.overflows(), 1);
  assert.deepEqual(c.lines, ['{"ok":true}']);
});

test('blank lines and CRLF endings are tolerated', async () => {
  const c = collect();
  c.stream.write('\n\r\n{"a":1}\r\n');
  await tick();
  assert.deepEqual(c.lines, ['{"a":1}']);
});

test('writeLine writes one JSON value and a newline, and refuses a closed stream', () => {
  const s = new PassThrough();
  assert.equal(writeLine(s, { x: 'é' }), true);
  assert.equal(s.read().toString(), '{"x":"é"}\n');
  s.destroy();
  assert.equal(writeLine(s, {}), false);
});
