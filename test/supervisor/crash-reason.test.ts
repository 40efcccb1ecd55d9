import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyExit, isMetalOom, tailLines } from '../../daemon/supervisor/crash-reason.js';

const OOM = 'libc++abi: terminating due to uncaught exception of type std::runtime_error: [METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)';
const OOM_DOCS = '[METAL] Command buffer execution failed: Insufficient Memory\n(kIOGPUCommandBufferCallbackErrorOutOfMemory)';
const TYPE_ERROR = 'Traceback (most recent call last):\nTypeError: cannot unpack non-iterable NoneType object';

const cases: Array<[string, Parameters<typeof classifyExit>[0], string]> = [
  ['the Metal abort while serving is metal-oom', { exitCode: null, signal: 'SIGABRT', logTail: `INFO ok\n${OOM}\n`, wasReady: true }, 'metal-oom'],
  ['the Metal abort in the docs\' wording is metal-oom', { exitCode: null, signal: 'SIGABRT', logTail: OOM_DOCS, wasReady: true }, 'metal-oom'],
  ['a Metal OOM during the first prefill is still metal-oom', { exitCode: null, signal: 'SIGABRT', logTail: OOM, wasReady: false }, 'metal-oom'],
  ['the seed\'s TypeError before ready is startup-error', { exitCode: 1, signal: null, logTail: TYPE_ERROR, wasReady: false }, 'startup-error'],
  ['a kill by signal while serving is signal', { exitCode: null, signal: 'SIGKILL', logTail: 'INFO serving', wasReady: true }, 'signal'],
  ['a plain exit while serving is exit', { exitCode: 0, signal: null, logTail: 'INFO Shutting down', wasReady: true }, 'exit'],
  ['"unhealthy" text is not an OOM', { exitCode: 3, signal: null, logTail: 'status unhealthy', wasReady: true }, 'exit'],
];
for (const [name, facts, reason] of cases) test(name, () => assert.equal(classifyExit(facts), reason));

test('an OOM is recognised anywhere in the tail', () => assert.equal(isMetalOom(`a\nb\n${OOM}\nc`), true));

test('the kept detail is the end of the log, bounded in lines and characters', () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n\n';
  const tail = tailLines(text, 3);
  assert.equal(tail, 'line 97\nline 98\nline 99');
  assert.equal(tailLines('x'.repeat(10_000), 30, 100).length, 100);
});
