// Starting the daemon for the admin commands (a detached `cclocald run`) and for the client, which
// may not import the daemon itself (`cclocald start`). The daemon entry is found from this
// file, never from argv[0]: daemon/main.ts under tsx in development, dist/daemon/main.js installed.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HomePaths } from '../daemon/protocol/paths.js';
import { isProcessAlive } from './process-alive.js';
import { socketAnswers, waitForSocket } from './wait-for.js';

/** Outlasts a cold start: node + imports on a slow disk, and the check for a leftover engine. */
export const START_DEADLINE_MS = 20_000;

export function daemonEntry(): { file: string; execArgv: string[] } {
  const isTs = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(isTs ? '../daemon/main.ts' : '../daemon/main.js', import.meta.url));
  return { file, execArgv: isTs ? ['--import', 'tsx'] : [] };
}

export function readPidFile(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Enough of a failed start's output to explain it; older lines are the log's, not this start's. */
const START_OUTPUT_MAX_BYTES = 64 * 1024;
const START_OUTPUT_LINES = 20;

/** What the log gained from `offset` on (this start's own output), at most the last 64 KiB. */
function appendedSince(path: string, offset: number): string {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return ''; }
  try {
    const size = fstatSync(fd).size;
    const from = size < offset ? 0 : Math.max(offset, size - START_OUTPUT_MAX_BYTES); // replaced by a shorter file: all of it
    const buf = Buffer.alloc(size - from);
    const n = buf.length ? readSync(fd, buf, 0, buf.length, from) : 0;
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Why a start failed, from what that start wrote: the daemon's own `cclocald: …` lines on stderr
 * when there are any (they say what to do), else the last lines it logged. Pure.
 */
export function startFailureMessage(why: string, output: string, logPath: string): string {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const own = lines.filter((l) => l.startsWith('cclocald: ')).map((l) => l.slice('cclocald: '.length));
  if (own.length) return `cclocald ${why}: ${own.join('\n  ')}\n(its log: ${logPath})`;
  if (!lines.length) return `cclocald ${why} without a word; see ${logPath}`;
  return `cclocald ${why}; what it wrote to ${logPath}:\n${lines.slice(-START_OUTPUT_LINES).join('\n')}`;
}

export interface StartOutcome { ok: boolean; alreadyRunning: boolean; message: string }

/** A detached `cclocald run` whose output goes to logs/daemon.log; resolves once its socket
 *  answers, or as soon as it exits (issue #11: a port in use took 20 s to be told). */
export async function startDaemonDetached(paths: HomePaths, env: NodeJS.ProcessEnv = process.env): Promise<StartOutcome> {
  if (await socketAnswers(paths.socket)) {
    return { ok: true, alreadyRunning: true, message: `cclocald is already running (pid ${readPidFile(paths.pid) ?? '?'})` };
  }
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  const out = openSync(paths.daemonLog, 'a', 0o600);
  const before = fstatSync(out).size;
  const entry = daemonEntry();
  const child = spawn(process.execPath, [...entry.execArgv, entry.file, 'run'], { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  let exitCode: number | null = null;
  const gaveUp = new AbortController();
  // No process could be made (EAGAIN, EMFILE): said below as an exit, never a crash of the caller.
  child.once('error', () => { exitCode ??= 127; gaveUp.abort(); });
  child.once('exit', (code) => {
    exitCode = code ?? 1;
    // It lost the lock to a daemon started at the same moment: that one's socket is the answer.
    const holder = readPidFile(paths.pid);
    if (holder === null || holder === child.pid || !isProcessAlive(holder)) gaveUp.abort();
  });
  child.unref();
  const up = await waitForSocket(paths.home, paths.socket, START_DEADLINE_MS, gaveUp.signal);
  if (up) return { ok: true, alreadyRunning: false, message: `cclocald started (pid ${readPidFile(paths.pid) ?? child.pid})` };
  const why = exitCode !== null ? `exited with code ${exitCode}` : `did not answer within ${START_DEADLINE_MS / 1000} s`;
  return { ok: false, alreadyRunning: false, message: startFailureMessage(why, appendedSince(paths.daemonLog, before), paths.daemonLog) };
}

/**
 * `cclocald start` as a child: through the login service when one is installed (so launchd's or
 * systemd's view stays true), else a detached `cclocald run`. For the client, which must not run
 * platform commands itself.
 */
export async function startDaemonViaCli(env: NodeJS.ProcessEnv): Promise<{ ok: boolean; message: string }> {
  const entry = daemonEntry();
  const child = spawn(process.execPath, [...entry.execArgv, entry.file, 'start'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  const code = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('close', (c) => resolve(c ?? 1)); // after its output is all read
  });
  return { ok: code === 0, message: out.trim() || `cclocald start exited with code ${code}` };
}
