// `cclocald start | stop | restart` without a login service: a detached `cclocald run`, and the
// `shutdown` method over the socket.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { prepareHome, readPid } from '../home.js';
import { connectDaemon, DaemonUnavailableError } from '../protocol/connect.js';
import type { HomePaths } from '../protocol/paths.js';
import { currentPaths, printRpcError } from './connect-home.js';
import { waitForGone, waitForSocket } from './wait-for.js';

/** Outlasts a cold start: node + imports on a slow disk, and the check for a leftover engine. */
const START_DEADLINE_MS = 20_000;
/** The engine's stop grace (15 s by default) plus the daemon's own teardown. */
const STOP_DEADLINE_MS = 30_000;

function lastLines(path: string, n: number): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log yet)'; }
}

/** The command line that runs this same program as `cclocald run` (tsx in development, dist when installed). */
function selfRunArgv(): string[] {
  return [...process.execArgv, process.argv[1] ?? '', 'run'];
}

export async function startDetached(paths: HomePaths): Promise<{ ok: boolean; message: string }> {
  try {
    (await connectDaemon(paths.socket)).close();
    return { ok: true, message: `cclocald is already running (pid ${readPid(paths.pid) ?? '?'})` };
  } catch (err) {
    if (!(err instanceof DaemonUnavailableError)) throw err;
  }
  prepareHome(paths);
  const out = openSync(paths.daemonLog, 'a', 0o600);
  const child = spawn(process.execPath, selfRunArgv(), { detached: true, stdio: ['ignore', out, out], env: process.env });
  closeSync(out);
  let exitCode: number | null = null;
  child.once('exit', (code) => { exitCode = code ?? 1; });
  child.unref();
  const up = await waitForSocket(paths.home, paths.socket, START_DEADLINE_MS);
  if (up) return { ok: true, message: `cclocald started (pid ${readPid(paths.pid) ?? child.pid})` };
  const why = exitCode !== null ? `exited with code ${exitCode}` : `did not answer within ${START_DEADLINE_MS / 1000} s`;
  return { ok: false, message: `cclocald ${why}; last lines of ${paths.daemonLog}:\n${lastLines(paths.daemonLog, 20)}` };
}

export async function stopViaSocket(paths: HomePaths): Promise<{ ok: boolean; message: string }> {
  let client;
  try {
    client = await connectDaemon(paths.socket);
  } catch (err) {
    if (err instanceof DaemonUnavailableError) return { ok: true, message: 'cclocald is not running' };
    throw err;
  }
  const pid = readPid(paths.pid);
  const closed = new Promise<void>((r) => client.onClose(r));
  try {
    await client.request('shutdown');
  } catch (err) {
    printRpcError(err);
    client.close();
    return { ok: false, message: 'the daemon refused to stop' };
  }
  await closed;
  const gone = await waitForGone(paths.home, paths.pid, STOP_DEADLINE_MS);
  return gone ? { ok: true, message: `cclocald stopped${pid ? ` (pid ${pid})` : ''}` } : { ok: false, message: `cclocald did not finish stopping; see ${paths.daemonLog}` };
}

function report(r: { ok: boolean; message: string }): number {
  (r.ok ? process.stdout : process.stderr).write(`${r.message}\n`);
  return r.ok ? 0 : 1;
}

export async function startCommand(): Promise<number> {
  return report(await startDetached(currentPaths()));
}

export async function stopCommand(): Promise<number> {
  return report(await stopViaSocket(currentPaths()));
}

export async function restartCommand(): Promise<number> {
  const paths = currentPaths();
  const stopped = await stopViaSocket(paths);
  if (!stopped.ok) return report(stopped);
  return report(await startDetached(paths));
}
