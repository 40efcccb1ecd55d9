// Memory facts for the preflight. macOS: sysctl(8) `-n` prints just the value, one per line:
// hw.memsize in bytes, iogpu.wired_limit_mb in MiB (0 = the default cap of about 75% of RAM).
import { totalmem } from 'node:os';
import { runCommand } from './exec.js';

export interface MemoryFacts {
  totalBytes: number;
  wiredLimitMb: number;
}

async function sysctlNumber(name: string): Promise<number | null> {
  const r = await runCommand('sysctl', ['-n', name]);
  if (!r.ok) return null;
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export async function readMemoryFacts(platform: 'darwin' | 'linux'): Promise<MemoryFacts> {
  if (platform !== 'darwin') return { totalBytes: totalmem(), wiredLimitMb: 0 };
  const [total, wired] = await Promise.all([sysctlNumber('hw.memsize'), sysctlNumber('iogpu.wired_limit_mb')]);
  // iogpu.wired_limit_mb does not exist on Intel Macs or older macOS: treat as the default cap.
  return { totalBytes: total ?? 0, wiredLimitMb: wired ?? 0 };
}

/**
 * Puts iogpu.wired_limit_mb back to what it was before the client raised it. `sudo -n`: the daemon
 * has no terminal to ask for a password; if sudo's cached credentials expired, the caller tells the
 * person the one command to run.
 */
export async function restoreWiredLimit(mb: number): Promise<boolean> {
  const r = await runCommand('sudo', ['-n', 'sysctl', `iogpu.wired_limit_mb=${mb}`]);
  return r.ok;
}
