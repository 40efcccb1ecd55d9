import assert from 'node:assert/strict';
import { test } from 'node:test';
import { llamaServer, vllmMlx } from '../../daemon/engine/kinds.js';
import { LLAMA_CPP_OOM_WORDS } from '../../daemon/engine/llama-server.js';
import { MLX_OOM_WORDS } from '../../daemon/engine/vllm-mlx.js';
import { classifyExit, outOfMemoryIn, tailLines } from '../../daemon/supervisor/crash-reason.js';

// Both engines' words: each case below is read the way one of the two kinds reads its log.
const eitherEngine = (tail: string) => vllmMlx.outOfMemory(tail) ?? llamaServer.outOfMemory(tail);

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
  // llama.cpp's words (its v0.4.0 source), by the memory that ran short.
  ['llama.cpp on CUDA failing an allocation is cuda-oom', { exitCode: 134, signal: null, logTail: 'ggml_backend_cuda_buffer_type_alloc_buffer: allocating 4096.00 MiB on device 0: cudaMalloc failed: out of memory', wasReady: true }, 'cuda-oom'],
  ['a CUDA runtime OOM is cuda-oom', { exitCode: null, signal: 'SIGABRT', logTail: 'CUDA error: out of memory\n  current device: 0', wasReady: true }, 'cuda-oom'],
  ['llama.cpp unable to allocate its KV cache at start is alloc-oom', { exitCode: 1, signal: null, logTail: 'llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache', wasReady: false }, 'alloc-oom'],
  ['llama.cpp unable to allocate compute buffers is alloc-oom', { exitCode: 1, signal: null, logTail: 'failed to allocate compute pp buffers', wasReady: false }, 'alloc-oom'],
  ['llama.cpp on Metal out of buffer memory is metal-oom', { exitCode: 1, signal: null, logTail: 'ggml_metal_buffer_init: failed to allocate Metal buffer of 8589934592 bytes (out of memory)', wasReady: false }, 'metal-oom'],
  // A person who pastes an OOM into a prompt: vllm-mlx echoes the prompt, and a later kill is a kill.
  ['an OOM quoted in a logged prompt preview is not an OOM', { exitCode: null, signal: 'SIGKILL', logTail: `INFO [REQUEST] last user message preview: why do I get ${OOM}?\nINFO serving`, wasReady: true }, 'signal'],
];
for (const [name, facts, reason] of cases) test(name, () => assert.equal(classifyExit(facts, eitherEngine), reason));

test('an OOM is recognised anywhere in the tail', () => assert.equal(outOfMemoryIn(`a\nb\n${OOM}\nc`, MLX_OOM_WORDS), 'metal-oom'));

test("each kind reads only its own engine's words: a CUDA OOM is no vllm-mlx crash reason", () => {
  assert.equal(vllmMlx.outOfMemory('cudaMalloc failed: out of memory'), null);
  assert.equal(outOfMemoryIn('cudaMalloc failed: out of memory', LLAMA_CPP_OOM_WORDS), 'cuda-oom');
  assert.equal(llamaServer.outOfMemory('llama_kv_cache: failed to allocate buffer for kv cache'), 'alloc-oom');
  assert.equal(llamaServer.outOfMemory(OOM), 'metal-oom');
});

test('the kept detail is the end of the log, bounded in lines and characters', () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n\n';
  const tail = tailLines(text, 3);
  assert.equal(tail, 'line 97\nline 98\nline 99');
  assert.equal(tailLines('x'.repeat(10_000), 30, 100).length, 100);
});
