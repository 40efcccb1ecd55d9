// Waits for the stand-ins' record file to hold what a test expects (written by another process).
import { dirname } from 'node:path';
import { waitForChange } from '../../common/wait-for.js';
import { recorded, type TestHome } from './daemon.js';

export async function waitForRecord(home: TestHome, pred: (lines: Array<Record<string, unknown>>) => boolean, what: string, deadlineMs = 15_000): Promise<Array<Record<string, unknown>>> {
  const ok = await waitForChange(dirname(home.record), async () => pred(recorded(home)), deadlineMs);
  if (!ok) throw new Error(`timed out waiting for ${what}; recorded:\n${JSON.stringify(recorded(home), null, 1)}`);
  return recorded(home);
}

export const notifications = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => l.program === 'notify-send' || l.program === 'osascript');
