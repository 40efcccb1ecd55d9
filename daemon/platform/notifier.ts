// Desktop notifications: osascript(1) on macOS, notify-send(1) on Linux.
import { runCommand } from './exec.js';

export type NotifyOutcome = 'sent' | 'missing' | 'failed';

/** AppleScript string literal: backslashes and quotes escaped. */
function appleScriptString(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export async function sendNotification(platform: 'darwin' | 'linux', title: string, message: string): Promise<NotifyOutcome> {
  const r = platform === 'darwin'
    ? await runCommand('osascript', ['-e', `display notification ${appleScriptString(message)} with title ${appleScriptString(title)}`])
    : await runCommand('notify-send', ['--app-name=cclocal', title, message]);
  if (r.missing) return 'missing';
  return r.ok ? 'sent' : 'failed';
}
