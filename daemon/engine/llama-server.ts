// llama.cpp's llama-server as an engine kind. Facts from the source node-llama-cpp 3.21.1 ships
// (llama.cpp v0.4.0, commit 80fb11a): tools/server/README.md for the flags, common/hf-cache.cpp
// and common/download.cpp for where -hf downloads land, the server's /health, /slots and its
// exceed_context_size_error (ggml-org/llama.cpp PR #15780).
import { DEFAULT_OUT_TOKENS } from '../../common/attach-env.js';
import type { EngineCapabilities, LaunchInput, LeftoverRecord } from './kind.js';
import { flagsIn, type OomWords } from './engine-text.js';

/** The node-llama-cpp release whose bundled llama.cpp scripts/build-llama-server.sh builds (and
 *  the folder it builds into); pinned, as its newer releases may not install here. */
export const LLAMA_BUILD_VERSION = '3.21.1';

/** Where ./install.sh (scripts/build-llama-server.sh) leaves the binary. */
export function builtLlamaServer(buildCache: string): string {
  return `${buildCache}/llama-server/node-llama-cpp-${LLAMA_BUILD_VERSION}/bin/llama-server`;
}

/** The built one, then Homebrew's places: launchd starts the daemon with a PATH that leaves them out. */
export function installedLlamaServers(buildCache: string, platform: 'darwin' | 'linux'): string[] {
  return [builtLlamaServer(buildCache), ...(platform === 'darwin' ? ['/opt/homebrew/bin/llama-server', '/usr/local/bin/llama-server'] : [])];
}

export function llamaMissingHint(platform: 'darwin' | 'linux'): string {
  return platform === 'darwin'
    ? 'run ./install.sh (it builds llama-server, or use Homebrew: brew install llama.cpp), or set CCLOCAL_ENGINE_BIN to your llama-server'
    : 'run ./install.sh (it builds llama-server from source), or set CCLOCAL_ENGINE_BIN to your llama-server';
}

export const llamaCapabilities = (help: string): EngineCapabilities => {
  const flags = flagsIn(help);
  return { flags, toolParsers: null, foreign: !flags.has('--ctx-size') };
};

/** Room for one answer beyond the prompt budget: llama-server's -c bounds prompt and answer
 *  together, and Claude Code asks for DEFAULT_OUT_TOKENS by default. */
export const ANSWER_RESERVE = DEFAULT_OUT_TOKENS;

export const contextSizeFor = (contextWindow: number) => contextWindow + ANSWER_RESERVE;

/** llama.cpp's out-of-memory words, by the memory that ran short: ggml-metal's buffers and the
 *  Metal command-buffer abort, ggml-cuda's cudaMalloc and CUDA_CHECK, and the KV cache or compute
 *  buffers that llama-context could not allocate on any backend. */
export const LLAMA_CPP_OOM_WORDS: OomWords = [
  [/kIOGPUCommandBufferCallbackErrorOutOfMemory|failed to allocate Metal buffer[^\n]*out of memory/i, 'metal-oom'],
  [/cudaMalloc failed: out of memory|CUDA error: out of memory|CUBLAS_STATUS_ALLOC_FAILED/, 'cuda-oom'],
  [/failed to allocate buffer for kv cache|failed to allocate compute (?:pp |tg )?buffers/, 'alloc-oom'],
];

/** Variables llama-server reads as flags (LLAMA_ARG_*) or keys: a person's shell settings must
 *  not move its host off loopback or lock the daemon out. */
const ENGINE_OWN_VARS = /^(LLAMA_ARG_|LLAMA_API_KEY$)/;

export function llamaArgv(i: LaunchInput & { cached: boolean }): string[] {
  const { model, caps } = i;
  const has = (flag: string) => caps.flags.has(flag);
  const src = model.source;
  const argv = 'file' in src ? ['-m', src.file] : ['-hf', src.quant ? `${src.repo}:${src.quant}` : src.repo];
  argv.push('--host', '127.0.0.1', '--port', String(i.port), '-c', String(contextSizeFor(i.contextWindow)),
    // One slot: the daemon sends one request at a time, and every slot would hold its own window.
    '-np', '1');
  if (has('--jinja')) argv.push('--jinja'); // tool use needs the model's own template (README)
  if (has('--no-webui')) argv.push('--no-webui');
  if (has('--alias')) argv.push('--alias', model.id);
  // Claude Code gets answers, not thinking it cannot show (as vllm-mlx's enable_thinking=false).
  if (has('--reasoning')) argv.push('--reasoning', 'off');
  // A model already downloaded is served without asking Hugging Face about updates.
  if ('repo' in src && i.cached && has('--offline')) argv.push('--offline');
  // Its port answers any local process, and reflects a localhost Origin for CORS: with a key that
  // only the daemon holds (a 0600 file, never the argv that ps shows), only the daemon is served.
  if (has('--api-key-file')) argv.push('--api-key-file', i.keyFile);
  return argv;
}

/** The -hf cache: LLAMA_CACHE, else the Hugging Face hub cache (common/hf-cache.cpp's order). */
export function llamaDownloadRoot(env: Readonly<Record<string, string>>, hfHubCache: string): string {
  return env.LLAMA_CACHE || hfHubCache;
}

/** common/download.cpp writes `blobs/<oid>.downloadInProgress`, then renames it. */
export const IN_PROGRESS = '.downloadInProgress';

/** A snapshot file that is the model asked for: a .gguf (of the quant, when one was named). */
export function isWantedGguf(fileName: string, quant: string | undefined): boolean {
  const f = fileName.toLowerCase();
  return f.endsWith('.gguf') && !f.startsWith('mmproj') && (!quant || f.includes(quant.toLowerCase()));
}

/** The daemon's environment without the variables llama-server reads as its own flags or keys. */
export function llamaEnv(base: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !ENGINE_OWN_VARS.test(k)));
}

/** 503 {"error":{"message":"Loading model"}} while loading, then 200 {"status":"ok"}. */
export const isLlamaReady = (status: number, body: unknown) => status === 200 && (body as { status?: unknown } | null)?.status === 'ok';

/** `<bin> … --port P … <model file or repo>`, as the daemon started it. */
export function isLlamaLeftover(cmd: string, rec: LeftoverRecord): boolean {
  return cmd.includes(rec.bin) && cmd.includes(`--port ${rec.port}`) && cmd.includes(rec.model);
}

/** /slots → the smallest n_ctx of its slots, or null when it says nothing usable. */
export function slotContext(body: unknown): number | null {
  if (!Array.isArray(body) || body.length === 0) return null;
  const sizes = body.map((s) => (s as { n_ctx?: unknown })?.n_ctx).filter((n): n is number => typeof n === 'number' && n > 0);
  return sizes.length ? Math.min(...sizes) : null;
}

/** The budget the engine holds when it runs with less context than asked (--fit may lower it). */
export function windowFromSlots(nCtx: number | null, contextWindow: number): number | null {
  if (nCtx === null || nCtx >= contextSizeFor(contextWindow)) return null;
  return Math.max(1, nCtx - ANSWER_RESERVE);
}

export function overflowFrom(status: number, body: string): { tokens: number; max: number } | null {
  if (status !== 400) return null;
  try {
    const e = (JSON.parse(body) as { error?: { type?: unknown; n_prompt_tokens?: unknown; n_ctx?: unknown } }).error;
    if (e?.type !== 'exceed_context_size_error' || typeof e.n_prompt_tokens !== 'number' || typeof e.n_ctx !== 'number') return null;
    return { tokens: e.n_prompt_tokens, max: e.n_ctx };
  } catch {
    return null;
  }
}
