// What the system says about a process, to tell our engine from a recycled pid or a look-alike:
// its command line, its start time, its process group and one variable of its environment.
// Linux reads /proc; macOS asks ps(1) (`-E` appends the environment of a process of our own user).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { runCommand } from './exec.js';

export interface ProcessFacts {
  /** An opaque start stamp: the same process always gives the same one, a recycled pid another. */
  startTime: string;
  pgid: number;
  commandLine: string;
  /** The value of `envName` in its environment, or null. */
  envValue: string | null;
}

async function commandLineOf(pid: number): Promise<string | null> {
  const r = await runCommand('ps', ['-o', 'command=', '-p', String(pid)]);
  return r.ok ? r.stdout.trim() : null;
}

/** NAME=value in /proc's NUL-separated environ. */
export function envFromEnviron(environ: string, name: string): string | null {
  for (const entry of environ.split('\0')) if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
  return null;
}

/** NAME=value in ps's `command ENV…` text (values are space-free by the caller's choice). */
export function envFromPsLine(line: string, name: string): string | null {
  const m = new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line);
  return m ? m[1]! : null;
}

/** /proc/PID/stat after the command's closing parenthesis: state, ppid, pgrp, … starttime (field 22). */
export function parseProcStat(stat: string): { pgid: number; startTime: string } | null {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgid = Number(rest[2]);
  const start = rest[19];
  return Number.isInteger(pgid) && start ? { pgid, startTime: start } : null;
}

function linuxFacts(pid: number, envName: string): ProcessFacts | null {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (!stat) return null;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    let env: string | null = null;
    try { env = envFromEnviron(readFileSync(`/proc/${pid}/environ`, 'utf8'), envName); } catch { /* another user's: not ours */ }
    return { ...stat, commandLine: cmd, envValue: env };
  } catch {
    return null;
  }
}

async function darwinFacts(pid: number, envName: string): Promise<ProcessFacts | null> {
  const head = await runCommand('ps', ['-o', 'pgid=,lstart=', '-p', String(pid)]);
  const m = /^\s*(\d+)\s+(.+)$/.exec(head.stdout.trim());
  if (!head.ok || !m) return null;
  const cmd = await commandLineOf(pid);
  const withEnv = await runCommand('ps', ['-wwE', '-o', 'command=', '-p', String(pid)]);
  return { pgid: Number(m[1]), startTime: m[2]!.trim(), commandLine: cmd ?? '', envValue: withEnv.ok ? envFromPsLine(withEnv.stdout, envName) : null };
}

export function processFacts(pid: number, envName: string, platform: 'darwin' | 'linux'): Promise<ProcessFacts | null> {
  if (!Number.isInteger(pid) || pid <= 1) return Promise.resolve(null);
  return platform === 'linux' ? Promise.resolve(linuxFacts(pid, envName)) : darwinFacts(pid, envName);
}

/** Pids of this user's processes whose environment gives `envName` a value that `wanted` accepts. */
export async function processesWithEnv(envName: string, wanted: (value: string) => boolean, platform: 'darwin' | 'linux'): Promise<number[]> {
  const uid = process.getuid?.() ?? -1;
  if (platform === 'linux') {
    const out: number[] = [];
    let names: string[] = [];
    try { names = readdirSync('/proc'); } catch { return out; }
    for (const name of names) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        if (statSync(`/proc/${name}`).uid !== uid) continue;
        const v = envFromEnviron(readFileSync(`/proc/${name}/environ`, 'utf8'), envName);
        if (v !== null && wanted(v)) out.push(Number(name));
      } catch { /* gone meanwhile, or not readable */ }
    }
    return out;
  }
  const r = await runCommand('ps', ['-wwE', '-U', String(uid), '-o', 'pid=,command=']);
  if (!r.ok) return [];
  return r.stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s/.exec(line);
    const v = envFromPsLine(line, envName);
    return m && v !== null && wanted(v) && Number(m[1]) !== process.pid ? [Number(m[1])] : [];
  });
}
