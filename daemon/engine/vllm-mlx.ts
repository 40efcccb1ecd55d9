// vllm-mlx as an engine kind: its argv, env, health and log facts, as data and pure functions.
// The supervisor never sees flags. Facts: the seed's serve line and the server's own code
// (github.com/waybarrios/vllm-mlx, read at 4b654c0).
import { flagsIn, type OomWords } from './engine-text.js';
import type { EngineCapabilities, EngineMemory, LeftoverRecord } from './kind.js';

export interface EngineLaunch {
  modelId: string;
  port: number;
  toolParser: string;
  reasoningParser?: string;
}


/** vllm-mlx's --max-tokens: the default length of one answer (not a context window, notes §4.2). */
export const DEFAULT_ANSWER_TOKENS = 32768;
/** The engine's own per-request timeout; the client's timeouts are matched to it. */
export const ENGINE_TIMEOUT_S = 1800;

// Parser names the fork added; upstream has the same parser class under another name (notes §4.2).
const PARSER_FALLBACK: Readonly<Record<string, string>> = { qwen3_xml: 'qwen3_coder', 'qwen3.5': 'qwen3_coder' };

export function chooseToolParser(wanted: string, caps: EngineCapabilities): string {
  if (!caps.toolParsers || caps.toolParsers.has(wanted)) return wanted;
  const fallback = PARSER_FALLBACK[wanted];
  return fallback && caps.toolParsers.has(fallback) ? fallback : 'auto';
}

export function buildArgv(l: EngineLaunch, caps: EngineCapabilities): string[] {
  const argv = ['serve', l.modelId, '--port', String(l.port)];
  // Its own default host is 0.0.0.0 (https://github.com/waybarrios/vllm-mlx/blob/main/docs/reference/cli.md):
  // loopback-only must not rest on it, nor on a --help that could be read (every vllm-mlx serve
  // has --host, like the flags below that are passed unread).
  argv.push('--host', '127.0.0.1');
  argv.push(
    '--max-tokens', String(DEFAULT_ANSWER_TOKENS),
    '--prefill-step-size', '4096',
    '--timeout', String(ENGINE_TIMEOUT_S),
    '--enable-auto-tool-choice',
    '--tool-call-parser', chooseToolParser(l.toolParser, caps),
    // Gemma and Qwen 3.5 ignore the env switch at template level; the kwargs reach the template.
    '--default-chat-template-kwargs', '{"enable_thinking": false, "preserve_thinking": false}',
  );
  if (l.reasoningParser) argv.push('--reasoning-parser', l.reasoningParser);
  // Qwen's recommended sampling; top_k/min_p/penalties are never set (they disable the system KV cache).
  if (/qwen/i.test(l.modelId)) argv.push('--default-temperature', '0.7', '--default-top-p', '0.80');
  // Fork-only flag: a truncated tool call becomes an explicit "write it in parts" message.
  if (caps.flags.has('--tool-call-truncation-notice')) argv.push('--tool-call-truncation-notice');
  return argv;
}

export function buildEnv(): Record<string, string> {
  return {
    VLLM_MLX_ENABLE_THINKING: 'false',
    // Since 0.4.0 the default (fail_fast) rejects overlapping requests, which /v1/messages turns into 500.
    VLLM_MLX_SIMPLE_ENGINE_LOCK_ADMISSION: 'wait',
  };
}

export function capabilitiesFromHelp(help: string): EngineCapabilities {
  const choices = /--tool-call-parser\s+\{([^}]*)\}/.exec(help);
  return {
    flags: flagsIn(help),
    toolParsers: choices?.[1] ? new Set(choices[1].split(',').map((s) => s.trim())) : null,
    // argparse's usage line names the program and the subcommand.
    foreign: !/vllm-mlx serve|--tool-call-parser/.test(help),
  };
}

/** MLX's fatal abort: libc++abi: terminating due to uncaught exception of type std::runtime_error:
 *  [METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory) */
export const MLX_OOM_WORDS: OomWords = [
  [/kIOGPUCommandBufferCallbackErrorOutOfMemory|\[METAL\][^\n]*Insufficient Memory/i, 'metal-oom'],
];

export const HEALTH_PATH = '/health';
export const STATUS_PATH = '/v1/status';

/** Ready means status is exactly "healthy": a substring test would also accept "unhealthy". */
export function isHealthyBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'healthy';
}

export function memoryFromStatus(body: unknown): EngineMemory | null {
  const metal = (body as { metal?: Record<string, unknown> } | null)?.metal;
  if (!metal || typeof metal.active_memory_gb !== 'number') return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { activeGB: metal.active_memory_gb, peakGB: num(metal.peak_memory_gb), cacheGB: num(metal.cache_memory_gb) };
}

/** Where ./install.sh puts it: the package's own venv. */
export const installedVllmMlx = (installRoot: string) => `${installRoot}/.venv/bin/vllm-mlx`;

export function vllmMissingHint(platform: 'darwin' | 'linux'): string {
  return platform === 'darwin'
    ? 'run ./install.sh (it installs vllm-mlx into .venv), or set CCLOCAL_ENGINE_BIN to your vllm-mlx'
    : 'vllm-mlx needs an Apple Silicon Mac; use the llama-server engine here (cclocal --engine llama-server), or set CCLOCAL_ENGINE_BIN';
}

/** `<bin> serve <model> --port P`, as the daemon started it: its own leftover, not a recycled pid. */
export function isVllmLeftover(cmd: string, rec: LeftoverRecord): boolean {
  return cmd.includes(rec.bin) && cmd.includes(' serve ') && cmd.includes(rec.model) && cmd.includes(`--port ${rec.port}`);
}
