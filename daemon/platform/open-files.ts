// The process's soft limit on open files: the endpoint sizes its connection cap by it, so fd
// pressure refuses new connections instead of failing a spawn or the control socket.
import { readFileSync } from 'node:fs';
import { runCommand } from './exec.js';

/** "Max open files  1024  524288  files" in /proc/self/limits → 1024. */
export function softLimitFromProcLimits(text: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m) return null;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

export async function openFilesSoftLimit(platform: 'darwin' | 'linux'): Promise<number | null> {
  if (platform === 'linux') {
    try { return softLimitFromProcLimits(readFileSync('/proc/self/limits', 'utf8')); } catch { return null; }
  }
  // A child shell inherits our limits and reports them.
  const r = await runCommand('/bin/sh', ['-c', 'ulimit -Sn']);
  const n = Number(r.stdout.trim());
  return r.ok ? (r.stdout.trim() === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number.isInteger(n) ? n : null) : null;
}

/** File descriptors the daemon keeps for itself: logs, the control socket and its clients, the
 *  engine's log and spawn pipes, health and memory probes, the engine connections. */
export const RESERVED_FDS = 48;

/** Client connections the endpoint takes at once: each costs its socket and an engine connection,
 *  within half of what is left after the reserve. */
export function connectionCap(softLimit: number | null): number {
  if (softLimit === null) return 1000;
  return Math.max(4, Math.min(4000, Math.floor((softLimit - RESERVED_FDS) / 4)));
}

/** Control-socket clients at once (one fd each): a quarter of what is left after the reserve. */
export function socketClientCap(softLimit: number | null): number {
  if (softLimit === null) return 128;
  return Math.max(4, Math.min(128, Math.floor((softLimit - RESERVED_FDS) / 4)));
}
