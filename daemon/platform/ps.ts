// ps(1) `-o command= -p PID`: the command line of a process, to tell our old engine from a recycled pid.
import { runCommand } from './exec.js';

export async function commandLineOf(pid: number): Promise<string | null> {
  const r = await runCommand('ps', ['-o', 'command=', '-p', String(pid)]);
  return r.ok ? r.stdout.trim() : null;
}
