// $CCLOCAL_HOME: who may use it, folder modes, the pid-file lock (one daemon per home), stale
// socket removal.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, realpathSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isDaemonOfHome } from '../common/daemon-command.js';
import { homeProblem } from '../common/home-safety.js';
import { isProcessAlive } from '../common/process-alive.js';
import { readPidFile } from '../common/spawn-daemon.js';
import { socketAnswers } from '../common/wait-for.js';
import { processFacts } from './platform/ps.js';
import type { HomePaths } from './protocol/paths.js';

/** A booting daemon may hold the lock this long before its socket answers (tsx + imports on a slow disk). */
export const START_LOCK_MAX_HOLD_MS = 15_000;

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`cclocald is already running (pid ${pid})`);
  }
}

/** A home that cannot be used: the reason and the fix, printed as they are (no stack). */
export class HomeError extends Error {
  constructor(readonly reason: string, readonly fix: string) {
    super(`${reason}; ${fix}`);
  }
}

/** Creates the home 0700, refuses one another user could change (common/home-safety.ts),
 *  tightens ours to 0700 (only read and search bits can be left to remove), and makes logs/. */
export function prepareHome(paths: HomePaths): void {
  makeFolder(paths.home);
  const problem = homeProblem(paths.home);
  if (problem) throw new HomeError(problem.reason, problem.fix);
  const real = realpathSync(paths.home);
  if ((statSync(real).mode & 0o777) !== 0o700) chmodSync(real, 0o700);
  makeFolder(paths.logsDir);
  // The logs are opened for appending: a logs/ another user made (in a home that was open to
  // everyone before it was tightened) or a link there would take what the daemon writes.
  const logs = lstatSync(paths.logsDir);
  if (!logs.isDirectory()) throw new HomeError(`${paths.logsDir} is not a folder of its own (a link?)`, `move it away (\`mv ${paths.logsDir} ${paths.logsDir}.old\`); cclocald makes it again`);
  if (logs.uid !== process.getuid?.()) throw new HomeError(`${paths.logsDir} belongs to another user (uid ${logs.uid})`, `move it away (\`mv ${paths.logsDir} ${paths.logsDir}.old\`); cclocald makes it again`);
  if ((logs.mode & 0o777) !== 0o700) chmodSync(paths.logsDir, 0o700);
}

function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOTDIR' || e.code === 'EEXIST' ? 'a file stands where a folder must be' : e.code ?? e.message;
    throw new HomeError(`cannot create ${e.path ?? dir} (${why})`, 'set CCLOCAL_HOME to a folder you can write (the default is ~/.cclocal)');
  }
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
      // Booting: a young pid file whose holder is a cclocald of this home, not whatever got a
      // dead daemon's pid (issue #11: that blocked every start for START_LOCK_MAX_HOLD_MS).
      const booting = nowMs() - fileMtimeMs(paths.pid) < START_LOCK_MAX_HOLD_MS && (await isDaemonOf(holder, paths.home));
      if (booting || (await socketAnswers(paths.socket))) throw new AlreadyRunningError(holder);
    }
    // Dead holder, unreadable file, or a recycled pid that neither answers nor is booting: stale.
    try { unlinkSync(paths.pid); } catch { /* another claimant removed it first */ }
  }
  throw new Error(`could not claim ${paths.pid}: it keeps reappearing`);
}

async function isDaemonOf(pid: number, home: string): Promise<boolean> {
  const facts = await processFacts(pid, 'CCLOCAL_HOME', process.platform === 'darwin' ? 'darwin' : 'linux');
  return isDaemonOfHome(facts, (dir) => sameFolder(dir, home));
}

function sameFolder(a: string, b: string): boolean {
  try { return realpathSync(a) === realpathSync(b); } catch { return a === b; }
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
