// The admin commands' way to the daemon: the home from the environment, then the socket.
import { connectDaemon, DaemonUnavailableError, errorData, type DaemonClient } from '../protocol/connect.js';
import { homeProblem } from '../../common/home-safety.js';
import { homeDir, homePaths, type HomePaths } from '../protocol/paths.js';

export function currentPaths(): HomePaths {
  return homePaths(homeDir());
}

export const NOT_RUNNING_HINT = 'start it with `cclocald start` (or `cclocald run` in the foreground)';

/** Connects, or prints why not and returns null. */
export async function connectOrExplain(paths: HomePaths): Promise<DaemonClient | null> {
  // A socket in a home another user can change may be theirs: nothing is said to it.
  const unsafe = homeProblem(paths.home);
  if (unsafe) {
    process.stderr.write(`cclocald: ${unsafe.reason}\n  hint: ${unsafe.fix}\n`);
    return null;
  }
  try {
    return await connectDaemon(paths.socket);
  } catch (err) {
    if (err instanceof DaemonUnavailableError) {
      process.stderr.write(`${err.message}\n  hint: ${err.kind === 'refused-permission' ? 'run as the user who owns ' + paths.home : NOT_RUNNING_HINT}\n`);
      return null;
    }
    throw err;
  }
}

/** Prints a daemon error reply as "message (reason)" and its hint. */
export function printRpcError(err: unknown): void {
  const data = errorData(err);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`cclocald: ${message}${data ? ` (${data.reason})` : ''}\n`);
  if (data?.hint) process.stderr.write(`  hint: ${data.hint}\n`);
}
