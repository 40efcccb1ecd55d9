// The mark only this home's daemon puts on its engine: an environment variable naming the home
// (by a hash, so the value has no spaces for ps(1) to split) and the run. Read back from a live
// process together with its start time, it proves the process is ours, where a command line that
// merely looks like an engine's (a recycled pid, another home's engine, a look-alike) does not.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';

export const OWNER_VAR = 'CCLOCAL_ENGINE_OWNER';

/** The home's real path: the same folder reached through a symlink is the same home. */
function homeTag(home: string): string {
  let real = home;
  try { real = realpathSync(home); } catch { /* not made yet: as given */ }
  return createHash('sha256').update(real).digest('hex').slice(0, 16);
}

export function ownerMark(home: string, runId: string): string {
  return `${homeTag(home)}-${runId}`;
}

/** Whether a mark was put by a daemon of this home (any run). */
export function isMarkOfHome(value: string, home: string): boolean {
  return value.startsWith(`${homeTag(home)}-`);
}
