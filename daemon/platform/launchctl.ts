// launchctl(1) in today's verbs: bootstrap, bootout, kickstart, print, against gui/<uid>.
import { runCommand, type CommandResult } from './exec.js';

const domain = (uid: number) => `gui/${uid}`;
const target = (uid: number, label: string) => `gui/${uid}/${label}`;

export const launchctl = {
  argv: {
    bootstrap: (uid: number, plist: string) => ['bootstrap', domain(uid), plist],
    bootout: (uid: number, label: string) => ['bootout', target(uid, label)],
    kickstart: (uid: number, label: string, kill = false) => ['kickstart', ...(kill ? ['-k'] : []), target(uid, label)],
    print: (uid: number, label: string) => ['print', target(uid, label)],
  },
  run: (argv: string[]): Promise<CommandResult> => runCommand('launchctl', argv),
};

/** From `launchctl print`: "state = running" and "pid = N" lines of the service. */
export function parsePrint(out: string): { running: boolean; pid: number | null } {
  const state = /^\s*state = (\S+)/m.exec(out)?.[1];
  const pid = /^\s*pid = (\d+)/m.exec(out)?.[1];
  return { running: state === 'running', pid: pid ? Number(pid) : null };
}
