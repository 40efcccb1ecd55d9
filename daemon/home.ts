// $CCLOCAL_HOME: folder modes, the pid-file lock (one daemon per home), stale socket removal.
import { chmodSync, closeSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isProcessAlive } from '../common/process-alive.js';
import { readPidFile } from '../common/spawn-daemon.js';
import { socketAnswers } from '../common/wait-for.js';
import type { HomePaths } from './protocol/paths.js';

/** A booting daemon may hold the lock this long before its socket answers (tsx + imports on a slow disk). */
export const START_LOCK_MAX_HOLD_MS = 15_000;

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`cclocald is already running (pid ${pid})`);
  }
}


/** Creates the home 0700 (and tightens an existing one we own), plus logs/. */
export function prepareHome(paths: HomePaths): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const st = statSync(paths.home);
  if ((st.mode & 0o777) !== 0o700 && st.uid === process.getuid?.()) chmodSync(paths.home, 0o700);
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
}

/** The pid in a pid file, or null. */
export const readPid = readPidFile;

export interface HomeLock {
  /** Removes the pid file if it is still ours. */
  release(): void;
}

/** Takes the pid-file lock; throws AlreadyRunningError naming a live holder. */
export async function claimHome(paths: HomePaths, nowMs: () => number = Date.now): Promise<HomeLock> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(paths.pid, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => releasePid(paths.pid) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readPid(paths.pid);
    if (holder !== null && holder !== process.pid && isProcessAlive(holder)) {
      const young = nowMs() - fileMtimeMs(paths.pid) < START_LOCK_MAX_HOLD_MS;
      if (young || (await socketAnswers(paths.socket))) throw new AlreadyRunningError(holder);
    }
    // Dead holder, unreadable file, or a recycled pid that neither answers nor is booting: stale.
    try { unlinkSync(paths.pid); } catch { /* another claimant removed it first */ }
  }
  throw new Error(`could not claim ${paths.pid}: it keeps reappearing`);
}

function fileMtimeMs(path: string): number {
  try { return statSync(path).mtimeMs; } catch { return 0; }
}

function releasePid(path: string): void {
  if (readPid(path) === process.pid) {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
}

/** Only the lock holder calls this, just before listen(): a booting daemon's socket is never removed. */
export function removeStaleSocket(path: string): void {
  try { unlinkSync(path); } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
