// The package's version (package.json, found from this file: common/ in development, dist/common/
// when built), and `cclocald --version` run as a child for `cclocal --version`: the client may
// not import the daemon, and the daemon's own lookup is the one that says which engine it runs.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';
import { daemonEntry } from './spawn-daemon.js';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'cclocal' && pkg.version) return pkg.version;
  } catch { /* unreadable: say so below */ }
  return '0.0.0';
}

/** Each probe in `cclocald --version` has its own 3 s limit and they run side by side; this is
 *  the whole child, node start included, on a slow disk. */
export const DAEMON_VERSION_TIMEOUT_MS = 20_000;

/** `cclocald --version`'s lines, or why it could not be asked. */
export function daemonVersionLines(env: NodeJS.ProcessEnv, timeoutMs = DAEMON_VERSION_TIMEOUT_MS): Promise<{ lines: string[] } | { problem: string }> {
  const entry = daemonEntry();
  return new Promise((resolve) => {
    try {
      const child = execFile(process.execPath, [...entry.execArgv, entry.file, '--version'], { env, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
        const lines = stdout.split('\n').filter((l) => l.trim() !== '');
        if (err?.killed) resolve({ problem: `cclocald --version did not finish within ${Math.round(timeoutMs / 1000)} s` });
        else if (err && !lines.length) resolve({ problem: (stderr.trim().split('\n').pop() || err.message).slice(0, 300) });
        else resolve({ lines });
      });
      child.stdin?.end();
    } catch (err) {
      resolve({ problem: err instanceof Error ? err.message : String(err) });
    }
  });
}
