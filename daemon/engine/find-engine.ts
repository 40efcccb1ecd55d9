// Which executable to run, in the contract's order: CCLOCAL_ENGINE_BIN, what ./install.sh
// installed, PATH. Each engine kind supplies its name, its install places and its hint.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { EngineLookup } from './kind.js';

export function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findExecutable(opts: { envBin?: string; installed: string[]; pathVar: string; name: string; hint: string }): EngineLookup {
  if (opts.envBin) {
    return isExecutableFile(opts.envBin)
      ? { found: true, bin: opts.envBin, source: 'env' }
      : { found: false, searched: [opts.envBin], hint: `CCLOCAL_ENGINE_BIN points at ${opts.envBin}, which is not an executable file; fix it or unset it` };
  }
  const searched: string[] = [];
  for (const candidate of opts.installed) {
    searched.push(candidate);
    if (isExecutableFile(candidate)) return { found: true, bin: candidate, source: 'install' };
  }
  for (const dir of opts.pathVar.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, opts.name);
    searched.push(candidate);
    if (isExecutableFile(candidate)) return { found: true, bin: candidate, source: 'path' };
  }
  return { found: false, searched, hint: opts.hint };
}
