// `cclocald start | stop | restart` without a login service: a detached `cclocald run`, and the
// `shutdown` method over the socket.
import { HomeError, prepareHome, readPid } from '../home.js';
import { startDaemonDetached } from '../../common/spawn-daemon.js';
import { connectDaemon, DaemonUnavailableError } from '../protocol/connect.js';
import type { HomePaths } from '../protocol/paths.js';
import { currentPaths, printRpcError } from './connect-home.js';
import { serviceAction } from './service-cmd.js';
import { waitForGone } from '../../common/wait-for.js';

/** The engine's stop grace (15 s by default) plus the daemon's own teardown. */
const STOP_DEADLINE_MS = 30_000;

export async function startDetached(paths: HomePaths): Promise<{ ok: boolean; message: string }> {
  try {
    prepareHome(paths);
  } catch (err) {
    if (err instanceof HomeError) return { ok: false, message: `cclocald: ${err.message}` };
    throw err;
  }
  return startDaemonDetached(paths);
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
  return report((await serviceAction('start')) ?? (await startDetached(currentPaths())));
}

export async function stopCommand(): Promise<number> {
  return report((await serviceAction('stop')) ?? (await stopViaSocket(currentPaths())));
}

export async function restartCommand(): Promise<number> {
  const viaService = await serviceAction('restart');
  if (viaService) return report(viaService);
  const paths = currentPaths();
  const stopped = await stopViaSocket(paths);
  if (!stopped.ok) return report(stopped);
  return report(await startDetached(paths));
}
