// The only code that spawns or signals the engine. The engine runs in its own process group
// (detached) and writes straight into engine.log through an inherited fd, so it keeps logging
// even if the daemon dies, and a later daemon can read why it died.
// Node's spawn, not execa: under file-descriptor exhaustion execa 9 throws from the call and leaves
// an unhandled `error` behind (see platform/exec.ts). A detached child is not killed with its
// parent, hence the exit hook below that takes every live engine group down with the daemon.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { isProcessAlive } from '../../common/process-alive.js';

export interface EngineSpec {
  bin: string;
  argv: string[];
  env: Record<string, string>;
  logPath: string;
  healthUrl: string;
  /** The engine kind's reading of a /health answer. */
  isReady: ReadyTest;
  healthPollMs: number;
}

export type ReadyTest = (status: number, body: unknown) => boolean;

export interface EngineExit {
  exitCode: number | null;
  signal: string | null;
  /** The end of engine.log when the process was gone. */
  logTail: string;
  /** The spawn itself failed (ENOENT, EMFILE, EAGAIN): no process ever ran. */
  error?: NodeJS.ErrnoException;
  /** stop() gave up: the process is still alive KILL_WAIT_MS after SIGKILL. */
  stuck?: boolean;
}

export interface EngineHandle {
  readonly pid: number;
  /** Resolves once, when the process is gone (however it went). */
  readonly exited: Promise<EngineExit>;
  /** Resolves when /health first says "healthy"; never resolves if the engine dies first. */
  readonly healthy: Promise<void>;
  /** SIGTERM to the group, SIGKILL after graceMs; gives up waiting KILL_WAIT_MS after that. */
  stop(graceMs: number): Promise<EngineExit>;
}

/** After SIGKILL a process is gone within milliseconds unless the kernel holds it (a hung disk,
 *  a GPU driver): past this, stop() reports it still alive instead of waiting forever. */
export const KILL_WAIT_MS = 5000;

const live = new Set<number>();
let hookInstalled = false;
function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => { for (const pid of live) signalGroup(pid, 'SIGKILL'); });
}

/** Signals the engine's whole process group (an engine we started or adopted leads its group). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** engine.log → engine.log.1, so the log of a crashed run can be read after the restart. */
export function rotateLog(path: string): void {
  try { renameSync(path, `${path}.1`); } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function readLogTail(path: string, maxBytes = 16 * 1024): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Throws what a person can act on (the log folder unwritable, the disk full, no fds left); the
 *  supervisor turns it into a failed state. */
export function startEngine(spec: EngineSpec): EngineHandle {
  installExitHook();
  // The logs folder may have been removed while the daemon ran: make it again.
  mkdirSync(dirname(spec.logPath), { recursive: true, mode: 0o700 });
  rotateLog(spec.logPath);
  const logFd = openSync(spec.logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(spec.bin, spec.argv, { detached: true, env: spec.env, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  // Node reports a spawn that failed (ENOENT, EMFILE, EAGAIN) as an `error` event, never a throw.
  const failed = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  if (pid === undefined) {
    const exited = failed.then((err) => ({ exitCode: null, signal: null, logTail: `${spec.bin}: ${err.message}`, error: err as NodeJS.ErrnoException }));
    return { pid: -1, exited, healthy: new Promise(() => {}), stop: () => exited };
  }
  live.add(pid);
  const exited = new Promise<EngineExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      resolve({ exitCode: code, signal, logTail: readLogTail(spec.logPath) });
    });
  });
  return handleFor(pid, exited, spec.healthUrl, spec.isReady, spec.healthPollMs);
}

/** Takes over an engine a previous daemon started (found from engine.json). */
export function adoptEngine(pid: number, logPath: string, healthUrl: string, isReady: ReadyTest, pollMs: number): EngineHandle {
  return handleFor(pid, watchForeignExit(pid, logPath, pollMs), healthUrl, isReady, pollMs);
}

/** Stops an engine of ours that nothing will serve from (found by its mark): no health to ask. */
export function stopLeftover(pid: number, logPath: string, pollMs: number, graceMs: number): Promise<EngineExit> {
  return handleFor(pid, watchForeignExit(pid, logPath, pollMs), null, () => false, pollMs).stop(graceMs);
}

/** Not our child: no exit status to wait on, so its death is noticed by signal 0. */
function watchForeignExit(pid: number, logPath: string, pollMs: number): Promise<EngineExit> {
  installExitHook();
  live.add(pid);
  return new Promise<EngineExit>((resolve) => {
    const timer = setInterval(() => {
      if (!isProcessAlive(pid)) {
        clearInterval(timer);
        live.delete(pid);
        resolve({ exitCode: null, signal: null, logTail: readLogTail(logPath) });
      }
    }, pollMs);
  });
}

/** `healthUrl` null: nobody waits for this one to be healthy, so it is never asked. */
function handleFor(pid: number, exited: Promise<EngineExit>, healthUrl: string | null, isReady: ReadyTest, pollMs: number): EngineHandle {
  let gone = false;
  void exited.then(() => { gone = true; });
  const healthy = new Promise<void>((resolve) => {
    if (healthUrl === null) return;
    const poll = async () => {
      if (gone) return;
      if (await probeReady(healthUrl, isReady)) { resolve(); return; }
      if (!gone) setTimeout(poll, pollMs).unref();
    };
    void poll();
  });
  const signal = (s: NodeJS.Signals) => { if (!signalGroup(pid, s)) { try { process.kill(pid, s); } catch { /* gone */ } } };
  return {
    pid,
    exited,
    healthy,
    async stop(graceMs: number) {
      if (gone) return exited;
      signal('SIGTERM');
      const kill = setTimeout(() => signal('SIGKILL'), graceMs);
      const stuck = new Promise<EngineExit>((resolve) => {
        const check = setTimeout(() => resolve({ exitCode: null, signal: null, logTail: `[cclocald] pid ${pid} is still alive ${KILL_WAIT_MS / 1000} s after SIGKILL`, stuck: true }), graceMs + KILL_WAIT_MS);
        void exited.then(() => clearTimeout(check));
      });
      const result = await Promise.race([exited, stuck]);
      clearTimeout(kill);
      // The leader is gone; make sure no worker of its group outlives it.
      signalGroup(pid, 'SIGKILL');
      return result;
    },
  };
}

export async function probeReady(url: string, isReady: ReadyTest, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* the kind decides what a non-JSON answer means */ }
    return isReady(res.status, body);
  } catch {
    return false;
  }
}

export async function probeJson(url: string, timeoutMs = 2000, headers: Record<string, string> = {}): Promise<unknown> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}
