// Asks the daemon to load (or swap to) a model, with its progress from the daemon's events: a live
// line on a terminal, a line every few seconds elsewhere. Ctrl-C leaves the daemon and the download running.
import { ConnectionLostError, errorData, type DaemonClient } from '../daemon/protocol/connect.js';
import type { DaemonEvent, LoadParams, LoadResult } from '../daemon/protocol/protocol.js';
import { ProgressDisplay, progressEveryMs } from '../common/progress-line.js';
import { ClientError } from './ensure-daemon.js';

/** The lines a load prints besides its progress. */
export function noteText(e: DaemonEvent): string | null {
  switch (e.type) {
    case 'crash': return `engine crashed (${e.reason}); cclocald is restarting it`;
    case 'contextShrunk': return `context window ${e.from} → ${e.to} after an out-of-memory crash`;
    default: return null;
  }
}

export async function loadModel(client: DaemonClient, params: LoadParams, tty: boolean): Promise<LoadResult> {
  // A live line on a terminal; elsewhere a line every few seconds (common/progress-line.ts).
  const display = new ProgressDisplay({ stream: process.stderr, tty, everyMs: progressEveryMs(process.env) });
  const off = client.onEvent((e) => {
    if (e.type === 'progress') return display.show(e);
    const line = noteText(e);
    if (line) display.note(line);
  });
  const onInt = () => {
    display.stop();
    process.stderr.write('\ncclocald keeps loading in the background; run cclocal again to attach.\n');
    process.exit(130);
  };
  process.once('SIGINT', onInt);
  try {
    return await client.request('load', params);
  } catch (err) {
    const data = errorData(err);
    const hint = err instanceof ConnectionLostError && err.shuttingDown ? 'run cclocal again once it has stopped: it starts cclocald anew' : data?.hint;
    throw new ClientError(err instanceof Error ? err.message : String(err), hint);
  } finally {
    off();
    process.off('SIGINT', onInt);
    display.stop();
  }
}
