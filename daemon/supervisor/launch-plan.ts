// Everything decided before an engine process starts: which executable, which port (free now:
// an engine may bind only after a load that can take minutes), which argv and env, and whether
// the model is already downloaded. Fails with the DaemonError a person can act on.
import type { Config } from '../config.js';
import { engineMissing, portInUse, type DaemonError } from '../errors.js';
import { engineCapabilities } from '../engine/capabilities.js';
import { isPortFree, pickFreePort } from '../engine/free-port.js';
import type { DownloadPlace, EngineCapabilities, EngineKind, EngineLookup } from '../engine/kind.js';
import type { ResolvedModel } from '../protocol/catalog.js';

export interface LaunchPlan {
  bin: string;
  argv: string[];
  env: Record<string, string>;
  port: number;
  url: string;
  downloads: DownloadPlace;
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
  const launch = kind.launch({ model, port, contextWindow, caps, cached: downloads.cached });
  return { bin: lookup.bin, argv: launch.argv, env: { ...base, ...launch.env }, port, url: `http://127.0.0.1:${port}`, downloads };
}
