// Raising macOS's GPU wired-memory cap for the session (seed #17, option 2). The person types the
// sudo password here; the value to restore is left in $CCLOCAL_HOME/wired-limit.json and the daemon
// puts it back when the model is unloaded or the daemon stops (macOS resets it at reboot anyway).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';

export const WIRED_LIMIT_FILE = 'wired-limit.json';

/** iogpu.wired_limit_mb now (0: macOS's default cap), or null where this machine has no such
 *  setting: Linux (sysctl has no iogpu), an Intel Mac, an older macOS. */
export function currentWiredLimit(): number | null {
  const r = spawnSync('sysctl', ['-n', 'iogpu.wired_limit_mb'], { encoding: 'utf8', timeout: 2000 });
  if (r.status !== 0) return null;
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export async function raiseWiredLimit(targetMb: number, homeDir: string, say: (s: string) => void): Promise<boolean> {
  const orig = currentWiredLimit();
  // Never a sudo prompt for a setting that is not there (it could only end in "Could not set it").
  if (orig === null) {
    say('  iogpu.wired_limit_mb is not a setting on this machine (macOS on Apple Silicon only) — continuing without the bump.');
    return false;
  }
  say(`  Raising Metal GPU wired limit to ${targetMb}MB (sudo — may prompt)...`);
  const r = spawnSync('sudo', ['sysctl', `iogpu.wired_limit_mb=${targetMb}`], { stdio: ['inherit', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    say('  Could not set it — continuing without the bump.');
    return false;
  }
  writeFileAtomic(join(homeDir, WIRED_LIMIT_FILE), JSON.stringify({ restoreMb: orig }) + '\n', 0o600);
  say(`  Set. cclocald restores ${orig} when the model is unloaded (it also resets on reboot).`);
  return true;
}
