// How the daemon runs a short-lived program (a platform command, an engine's --help): no shell,
// bounded time, bounded output, and it never throws. Node's execFile, not execa: under
// file-descriptor exhaustion execa 9 throws `subprocess.stdio is not iterable` from the call and
// its child then emits an `error` nobody listens to, which kills the daemon; execFile reports
// both through its callback. Tests put recording stand-ins first on PATH; nothing replaces these
// functions themselves.
import { execFile } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  /** The program is not installed (ENOENT). */
  missing: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export interface RunOptions {
  timeoutMs?: number;
  /** The whole environment of the program; the daemon's own when absent. */
  env?: Record<string, string>;
}

/** More than any platform command or --help prints. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

export function runCommand(file: string, args: string[], opts: RunOptions | number = {}): Promise<CommandResult> {
  const o = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  return new Promise((resolve) => {
    const fail = (err: NodeJS.ErrnoException, stdout = '', stderr = '') => resolve({
      ok: false, missing: err.code === 'ENOENT', stdout, stderr: stderr || err.message, exitCode: typeof err.code === 'number' ? err.code : null,
    });
    try {
      const child = execFile(file, args, { timeout: o.timeoutMs ?? 10_000, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', ...(o.env ? { env: o.env } : {}) }, (err, stdout, stderr) => {
        if (err) fail(err as NodeJS.ErrnoException, stdout, stderr);
        else resolve({ ok: true, missing: false, stdout, stderr, exitCode: 0 });
      });
      child.stdin?.end();
    } catch (err) {
      fail(err as NodeJS.ErrnoException);
    }
  });
}
