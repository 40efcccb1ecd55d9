// A program under test in a real terminal: a tmux pane of its own, a reader of its screen and a
// key sender. The pane stays after the program ends (its exit code is printed) until cleanup.
import { execFileSync, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { shQuote } from '../../common/attach-env.js';
import { onCleanup } from './temp-home.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export function tmuxPane(t: TestContext, argv: string[], env: NodeJS.ProcessEnv, o: { width?: number; cleanup?: () => unknown } = {}) {
  const session = `ccl${process.pid}${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;
  const vars = Object.entries({ ...env, TERM: 'xterm-256color' }).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${shQuote(String(v))}`).join(' ');
  const command = `env ${vars} ${argv.map(shQuote).join(' ')}; echo "exit=$?"; sleep 600`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', String(o.width ?? 200), '-y', '50', command]);
  onCleanup(t, () => { spawnSync('tmux', ['kill-session', '-t', session]); return o.cleanup?.(); });
  return {
    keys: (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', session, ...k]),
    /** Polls the pane until `pattern` shows (a deadline, not a sleep). */
    async waitFor(pattern: RegExp, what: string, deadlineMs = 20_000): Promise<string> {
      const end = Date.now() + deadlineMs;
      let screen = '';
      while (Date.now() < end) {
        screen = execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', session], { encoding: 'utf8' });
        if (pattern.test(screen)) return screen;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
    },
  };
}
