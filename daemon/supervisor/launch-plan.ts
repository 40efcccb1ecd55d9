// Everything decided before an engine process starts: which executable, which port (free now:
// vllm-mlx binds only after a load that can take minutes), which argv and env, and whether the
// model is already in the HF cache. Fails with the DaemonError a person can act on.
import type { Config } from '../config.js';
import { engineMissing, portInUse, type DaemonError } from '../errors.js';
import { engineCapabilities } from '../engine/capabilities.js';
import { findEngine } from '../engine/find-engine.js';
import { isPortFree, pickFreePort } from '../engine/free-port.js';
import { looksCached, modelCacheDir } from '../engine/hf-cache.js';
import { buildArgv, buildEnv } from '../engine/vllm-mlx.js';
import type { ResolvedModel } from '../protocol/catalog.js';

export interface LaunchPlan {
  bin: string;
  argv: string[];
  env: Record<string, string>;
  port: number;
  url: string;
  cacheDir: string;
  cached: boolean;
}

export function lookupEngine(cfg: Config) {
  return findEngine({ envBin: cfg.engineBinEnv, installRoot: cfg.installRoot, pathVar: cfg.pathVar });
}

export async function planLaunch(cfg: Config, model: ResolvedModel): Promise<LaunchPlan | DaemonError> {
  const lookup = lookupEngine(cfg);
  if (!lookup.found) return engineMissing(lookup.searched, lookup.hint);
  const port = cfg.enginePort || (await pickFreePort());
  if (!(await isPortFree(port))) return portInUse(port);
  const env = { ...cfg.engineBaseEnv, ...buildEnv() };
  const caps = await engineCapabilities(lookup.bin, env);
  const argv = buildArgv({ modelId: model.id, port, toolParser: model.toolParser, reasoningParser: model.reasoningParser }, caps);
  const cacheDir = modelCacheDir(cfg.hfHubCache, model.id);
  return { bin: lookup.bin, argv, env, port, url: `http://127.0.0.1:${port}`, cacheDir, cached: looksCached(cacheDir) };
}
