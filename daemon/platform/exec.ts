// How platform commands are run: no shell, bounded time, never throws. Tests put recording
// stand-ins for these programs first on PATH; nothing replaces the functions themselves.
import { execa } from 'execa';

export interface CommandResult {
  ok: boolean;
  /** The program is not installed (ENOENT). */
  missing: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export async function runCommand(file: string, args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  const r = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  const missing = (r as { code?: string }).code === 'ENOENT';
  return {
    ok: !r.failed && r.exitCode === 0,
    missing,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    exitCode: r.exitCode ?? null,
  };
}
