// Starting the daemon for the admin commands (a detached `cclocald run`) and for the client, which
// may not import the daemon itself (`cclocald start`). The daemon entry is found from this
// file, never from argv[0]: daemon/main.ts under tsx in development, dist/daemon/main.js installed.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HomePaths } from '../daemon/protocol/paths.js';
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

function lastLines(path: string, n: number): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log yet)'; }
}

export interface StartOutcome { ok: boolean; alreadyRunning: boolean; message: string }

/** A detached `cclocald run` whose output goes to logs/daemon.log; resolves once its socket answers. */
export async function startDaemonDetached(paths: HomePaths, env: NodeJS.ProcessEnv = process.env): Promise<StartOutcome> {
  if (await socketAnswers(paths.socket)) {
    return { ok: true, alreadyRunning: true, message: `cclocald is already running (pid ${readPidFile(paths.pid) ?? '?'})` };
  }
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  const out = openSync(paths.daemonLog, 'a', 0o600);
  const entry = daemonEntry();
  const child = spawn(process.execPath, [...entry.execArgv, entry.file, 'run'], { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  let exitCode: number | null = null;
  child.once('exit', (code) => { exitCode = code ?? 1; });
  child.unref();
  const up = await waitForSocket(paths.home, paths.socket, START_DEADLINE_MS);
  if (up) return { ok: true, alreadyRunning: false, message: `cclocald started (pid ${readPidFile(paths.pid) ?? child.pid})` };
  const why = exitCode !== null ? `exited with code ${exitCode}` : `did not answer within ${START_DEADLINE_MS / 1000} s`;
  return { ok: false, alreadyRunning: false, message: `cclocald ${why}; last lines of ${paths.daemonLog}:\n${lastLines(paths.daemonLog, 20)}` };
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
