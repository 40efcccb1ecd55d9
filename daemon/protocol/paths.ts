// The contract's file names, derived from CCLOCAL_HOME in one place so the daemon and the
// client can never disagree about where the socket or the logs are.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOCKET_NAME = 'cclocald.sock';

/** $CCLOCAL_HOME, or ~/.cclocal. */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CCLOCAL_HOME;
  return fromEnv && fromEnv.length > 0 ? resolve(fromEnv) : join(homedir(), '.cclocal');
}

export interface HomePaths {
  home: string;
  socket: string;
  pid: string;
  /** What the daemon remembers across restarts: last model, per-model context windows. */
  state: string;
  /** The running engine's pid record, so a daemon that died hard can find its orphan. */
  engineRecord: string;
  /** The key the daemon gave its engine (mode 0600): only the daemon may use the engine's port. */
  engineKey: string;
  config: string;
  logsDir: string;
  daemonLog: string;
  engineLog: string;
  /** The warm path: Claude Code's environment for the ready model, sourced by the `cclocal` launcher. */
  attachScript: string;
}

export function homePaths(home: string): HomePaths {
  const logsDir = join(home, 'logs');
  return {
    home,
    socket: join(home, SOCKET_NAME),
    pid: join(home, 'cclocald.pid'),
    state: join(home, 'state.json'),
    engineRecord: join(home, 'engine.json'),
    engineKey: join(home, 'engine.key'),
    config: join(home, 'config.json'),
    logsDir,
    daemonLog: join(logsDir, 'daemon.log'),
    engineLog: join(logsDir, 'engine.log'),
    attachScript: join(home, 'attach.sh'),
  };
}

// sockaddr_un.sun_path is 104 bytes on darwin and 108 on linux, both counting the NUL.
const MAX_SOCKET_PATH_BYTES: Record<string, number> = { darwin: 103, linux: 107 };

export class SocketPathTooLongError extends Error {
  constructor(readonly path: string, readonly limit: number, readonly suggestions: string[]) {
    const where = suggestions.length ? `, such as ${suggestions.join(' or ')}` : ' (not a shared one such as /tmp, where another user could make it first)';
    super(`socket path is ${Buffer.byteLength(path)} bytes, over the ${limit}-byte limit of this OS: ${path}; set CCLOCAL_HOME to a shorter folder of your own${where}`);
  }
}

/** Short homes only this user can write whose socket fits: never a shared folder such as /tmp/cc,
 *  which another user could create first and then own (issue #11). */
export function shorterHomes(limit: number, env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates = [join(homedir(), '.cclocal'), ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'cclocal')] : [])];
  return candidates.filter((home) => Buffer.byteLength(join(home, SOCKET_NAME)) <= limit);
}

export function assertSocketPathFits(path: string, platform: string = process.platform, env: NodeJS.ProcessEnv = process.env): void {
  const limit = MAX_SOCKET_PATH_BYTES[platform] ?? 103;
  if (Buffer.byteLength(path) > limit) throw new SocketPathTooLongError(path, limit, shorterHomes(limit, env));
}

/** A file shipped at the package root (daemon/protocol/ in development, dist/daemon/protocol/ when built). */
export function packageFile(name: string): string {
  for (const up of ['../../', '../../../']) {
    const p = fileURLToPath(new URL(up + name, import.meta.url));
    if (existsSync(p)) return p;
  }
  return fileURLToPath(new URL('../../' + name, import.meta.url));
}
