// Which vllm-mlx to run, in the contract's order: CCLOCAL_ENGINE_BIN, the venv ./install.sh made, PATH.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type EngineLookup =
  | { found: true; bin: string; source: 'env' | 'venv' | 'path' }
  | { found: false; searched: string[]; hint: string };

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findEngine(opts: { envBin?: string; installRoot: string; pathVar?: string; name?: string }): EngineLookup {
  const name = opts.name ?? 'vllm-mlx';
  if (opts.envBin) {
    return isExecutableFile(opts.envBin)
      ? { found: true, bin: opts.envBin, source: 'env' }
      : { found: false, searched: [opts.envBin], hint: `CCLOCAL_ENGINE_BIN points at ${opts.envBin}, which is not an executable file; fix it or unset it` };
  }
  const venvBin = join(opts.installRoot, '.venv', 'bin', name);
  if (isExecutableFile(venvBin)) return { found: true, bin: venvBin, source: 'venv' };
  const searched = [venvBin];
  for (const dir of (opts.pathVar ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    searched.push(candidate);
    if (isExecutableFile(candidate)) return { found: true, bin: candidate, source: 'path' };
  }
  return { found: false, searched, hint: 'run ./install.sh (macOS) or set CCLOCAL_ENGINE_BIN to your vllm-mlx executable' };
}
