// The engine kinds by name: each one's facts (vllm-mlx.ts, llama-server.ts, pure) bound to the
// I/O every kind shares (finding an executable, asking its HTTP API, measuring its downloads).
import { cacheFolderName, resolveModel } from '../../common/catalog.js';
import { ENGINE_KIND_NAMES, type EngineKindName, type LocalKindName } from '../protocol/protocol.js';
import { probeJson } from './engine-process.js';
import { outOfMemoryIn } from './engine-text.js';
import { findExecutable } from './find-engine.js';
import { hasBlobEnding, hasIncompleteBlob, looksCached, modelCacheDir, snapshotFiles } from './hf-cache.js';
import type { EngineKind } from './kind.js';
import {
  IN_PROGRESS, installedLlamaServers, isLlamaLeftover, isLlamaReady, isWantedGguf, llamaArgv, llamaCapabilities,
  llamaDownloadRoot, llamaEnv, llamaMissingHint, LLAMA_CPP_OOM_WORDS, overflowFrom, slotContext, windowFromSlots,
} from './llama-server.js';
import {
  buildArgv, buildEnv, capabilitiesFromHelp, HEALTH_PATH, installedVllmMlx, isHealthyBody, isVllmLeftover, memoryFromStatus,
  MLX_OOM_WORDS, STATUS_PATH, vllmMissingHint,
} from './vllm-mlx.js';

const CATALOG_NAMES = 'gemma-light, gemma, review, coder, qwen3, coder7b';

export const vllmMlx: EngineKind = {
  name: 'vllm-mlx',
  find: (ctx) => findExecutable({ envBin: ctx.envBin, installed: [installedVllmMlx(ctx.installRoot)], pathVar: ctx.pathVar, name: 'vllm-mlx', hint: vllmMissingHint(ctx.platform) }),
  helpArgs: ['serve', '--help'],
  capabilitiesFromHelp,
  resolveModel: (nameOrId) => resolveModel(nameOrId, 'vllm-mlx'),
  unknownModelHint: () => `use a catalog name (${CATALOG_NAMES}) or an MLX model by its Hugging Face id, org/name`,
  launch: (i) => ({
    argv: buildArgv({ modelId: i.model.id, port: i.port, toolParser: i.model.toolParser, reasoningParser: i.model.reasoningParser }, i.caps),
    env: buildEnv(),
    keyed: false,
  }),
  engineEnv: (base) => ({ ...base }),
  windowAtStart: false, // the window is the endpoint's budget; vllm-mlx allocates as it goes
  streamsPromptTokens: false,
  healthPath: HEALTH_PATH,
  isReady: (status, body) => status === 200 && isHealthyBody(body),
  outOfMemory: (tail) => outOfMemoryIn(tail, MLX_OOM_WORDS),
  readMemory: async (baseUrl) => memoryFromStatus(await probeJson(baseUrl + STATUS_PATH, 1000)),
  isOwnLeftover: isVllmLeftover,
  downloads: (model, _env, hfHubCache) => {
    const dir = modelCacheDir(hfHubCache, model.id);
    return { dir, cached: looksCached(dir), isWriting: hasIncompleteBlob };
  },
  // The window is the endpoint's alone: vllm-mlx has no context size of its own to check.
  checkWindow: async () => null,
  // vllm-mlx has no overflow answer of its own; the endpoint's guard counts first.
  overflow: () => null,
};

export const llamaServer: EngineKind = {
  name: 'llama-server',
  find: (ctx) => findExecutable({ envBin: ctx.envBin, installed: installedLlamaServers(ctx.buildCache, ctx.platform), pathVar: ctx.pathVar, name: 'llama-server', hint: llamaMissingHint(ctx.platform) }),
  helpArgs: ['--help'],
  capabilitiesFromHelp: llamaCapabilities,
  resolveModel: (nameOrId) => resolveModel(nameOrId, 'llama-server'),
  unknownModelHint: () => `use a catalog name (${CATALOG_NAMES}), a GGUF repo as org/name[:QUANT], or the path of a .gguf file`,
  launch: (i) => {
    const argv = llamaArgv({ ...i, cached: i.cached ?? false });
    return { argv, env: {}, keyed: argv.includes('--api-key-file') };
  },
  engineEnv: llamaEnv,
  windowAtStart: true, // -c sizes its KV cache
  streamsPromptTokens: true,
  healthPath: '/health',
  isReady: isLlamaReady,
  outOfMemory: (tail) => outOfMemoryIn(tail, LLAMA_CPP_OOM_WORDS),
  // llama-server reports no memory figures over HTTP.
  readMemory: async () => null,
  isOwnLeftover: isLlamaLeftover,
  downloads: (model, env, hfHubCache) => {
    const src = model.source;
    if ('file' in src) return { dir: null, cached: true, isWriting: () => false };
    const dir = `${llamaDownloadRoot(env, hfHubCache)}/${cacheFolderName(src.repo)}`;
    const writing = (d: string) => hasBlobEnding(d, IN_PROGRESS);
    return { dir, cached: snapshotFiles(dir).some((f) => isWantedGguf(f, src.quant)) && !writing(dir), isWriting: writing };
  },
  checkWindow: async (baseUrl, contextWindow, auth) => windowFromSlots(slotContext(await probeJson(`${baseUrl}/slots`, 2000, auth)), contextWindow),
  overflow: overflowFrom,
};

/** The kinds the daemon runs itself; `remote` is not one (daemon/remote/ watches servers instead). */
export const ENGINE_KINDS: Readonly<Record<LocalKindName, EngineKind>> = Object.freeze({ 'vllm-mlx': vllmMlx, 'llama-server': llamaServer });

export function engineKind(name: LocalKindName): EngineKind {
  return ENGINE_KINDS[name];
}

/** vllm-mlx needs MLX, so Apple Silicon; everywhere else llama-server runs. */
export function defaultEngineName(platform: string, arch: string): LocalKindName {
  return platform === 'darwin' && arch === 'arm64' ? 'vllm-mlx' : 'llama-server';
}

export function isEngineName(s: unknown): s is EngineKindName {
  return typeof s === 'string' && (ENGINE_KIND_NAMES as readonly string[]).includes(s);
}

export function isLocalKind(name: EngineKindName): name is LocalKindName {
  return name !== 'remote';
}
