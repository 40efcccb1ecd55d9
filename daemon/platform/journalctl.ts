// journalctl(1) --user for the cclocald unit: its last lines say why a service did not start.
import { runCommand, type CommandResult } from './exec.js';

export const journalctl = {
  argv: {
    unitTail: (unit: string, lines: number) => ['--user', '-u', unit, '-n', String(lines), '--no-pager'],
  },
  run: (argv: string[]): Promise<CommandResult> => runCommand('journalctl', argv),
};
