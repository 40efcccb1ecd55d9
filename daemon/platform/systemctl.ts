// systemctl(1) --user for the cclocald unit.
import { runCommand, type CommandResult } from './exec.js';

export const systemctl = {
  argv: {
    daemonReload: () => ['--user', 'daemon-reload'],
    enable: (unit: string) => ['--user', 'enable', unit],
    resetFailed: (unit: string) => ['--user', 'reset-failed', unit],
    disableNow: (unit: string) => ['--user', 'disable', '--now', unit],
    start: (unit: string) => ['--user', 'start', unit],
    stop: (unit: string) => ['--user', 'stop', unit],
    restart: (unit: string) => ['--user', 'restart', unit],
    isActive: (unit: string) => ['--user', 'is-active', unit],
    status: (unit: string) => ['--user', 'status', '--no-pager', unit],
  },
  run: (argv: string[]): Promise<CommandResult> => runCommand('systemctl', argv),
};
