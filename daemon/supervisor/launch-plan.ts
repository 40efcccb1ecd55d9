// Everything decided before an engine process starts: which executable, which port (free now:
// an engine may bind only after a load that can take minutes), which argv and env, and whether
// the model is already downloaded. Fails with the DaemonError a person can act on.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { engineMissing, portInUse, type DaemonError } from '../errors.js';
import { engineCapabilities } from '../engine/capabilities.js';
import { isPortFree, pickFreePort } from '../engine/free-port.js';
import type { DownloadPlace, EngineCapabilities, EngineKind, EngineLookup } from '../engine/kind.js';
import type { ResolvedModel } from '../../common/catalog.js';
import { removeFile, writeTextAtomic } from '../state-store.js';

export interface LaunchPlan {
  bin: string;
  argv: string[];
  env: Record<string, string>;
  port: number;
  url: string;
  downloads: DownloadPlace;
  /** The headers every request to the engine carries (its key, when it was given one). */
  auth: Record<string, string>;
}

/** The key a keyed engine reads from the home's engine.key, and the header that presents it. */
export function engineAuth(key: string | null): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** The executable for `kind`: the one a client named, else CCLOCAL_ENGINE_BIN when it belongs to
 *  the configured kind, else what ./install.sh installed, else PATH. */
export function lookupEngine(cfg: Config, kind: EngineKind, clientBin?: string | null): EngineLookup {
  const envBin = clientBin || (kind.name === cfg.engine ? cfg.engineBinEnv : undefined);
  return kind.find({ envBin, installRoot: cfg.installRoot, buildCache: cfg.buildCache, pathVar: cfg.pathVar, platform: cfg.platform });
}

export interface PlanDeps {
  /** What the installed engine accepts (runs its --help once per executable). */
  capabilities(kind: EngineKind, bin: string, env: Record<string, string>): Promise<EngineCapabilities>;
}

export const realPlanDeps: PlanDeps = { capabilities: engineCapabilities };

export async function planLaunch(cfg: Config, kind: EngineKind, model: ResolvedModel, contextWindow: number, clientBin: string | null, deps: PlanDeps = realPlanDeps): Promise<LaunchPlan | DaemonError> {
  const lookup = lookupEngine(cfg, kind, clientBin);
  if (!lookup.found) return engineMissing(kind.name, lookup.searched, lookup.hint);
  const port = cfg.enginePort || (await pickFreePort());
  if (!(await isPortFree(port))) return portInUse(port);
  const base = kind.engineEnv(cfg.engineBaseEnv);
  const caps = await deps.capabilities(kind, lookup.bin, base);
  const downloads = kind.downloads(model, cfg.engineBaseEnv, cfg.hfHubCache);
  const launch = kind.launch({ model, port, contextWindow, caps, cached: downloads.cached, keyFile: cfg.paths.engineKey });
  // A new key for each start: one a leftover process could have read is never reused.
  const key = launch.keyed ? randomBytes(32).toString('base64url') : null;
  if (key) writeTextAtomic(cfg.paths.engineKey, `${key}\n`);
  else removeFile(cfg.paths.engineKey);
  return { bin: lookup.bin, argv: launch.argv, env: { ...base, ...launch.env }, port, url: `http://127.0.0.1:${port}`, downloads, auth: engineAuth(key) };
}
