// Where Claude Code is: CCLOCAL_CLAUDE_BIN, else `claude` on PATH. The client runs what this
// finds; both programs' `--version` report it.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** ./install.sh installs it without sudo, into the prefix that holds cclocal. */
export const CLAUDE_INSTALL_HINT = 'run ./install.sh in the cclocal folder (it installs Claude Code without sudo, next to cclocal), or set CCLOCAL_CLAUDE_BIN to a claude you have';

export type ClaudeLookup = { found: true; bin: string } | { found: false; wanted: string };

export function locateClaude(env: NodeJS.ProcessEnv): ClaudeLookup {
  const wanted = env.CCLOCAL_CLAUDE_BIN || 'claude';
  const candidates = wanted.includes('/') ? [wanted] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, wanted));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) { accessSync(c, constants.X_OK); return { found: true, bin: c }; }
    } catch { /* next */ }
  }
  return { found: false, wanted };
}
