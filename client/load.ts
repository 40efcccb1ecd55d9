// Asks the daemon to load (or swap to) a model, with a live progress line from its events.
// Ctrl-C leaves the daemon and the download running.
import { ConnectionLostError, errorData, type DaemonClient } from '../daemon/protocol/connect.js';
import type { DaemonEvent, LoadParams, LoadResult } from '../daemon/protocol/protocol.js';
import { ClientError } from './ensure-daemon.js';

function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)}GB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)}MB`;
  return `${Math.round(n / 1024)}KB`;
}

export function progressText(e: DaemonEvent): string | null {
  switch (e.type) {
    case 'progress':
      return e.phase === 'downloading'
        ? `⬇ Downloading model ${fmtBytes(e.bytes)} (${(e.rateBps / 1024 ** 2).toFixed(1)} MB/s)`
        : `⏳ Model cached (${fmtBytes(e.bytes)}) — loading into memory... ${e.loadingS}s`;
    case 'crash': return `engine crashed (${e.reason}); cclocald is restarting it`;
    case 'contextShrunk': return `context window ${e.from} → ${e.to} after an out-of-memory crash`;
    default: return null;
  }
}

export async function loadModel(client: DaemonClient, params: LoadParams, tty: boolean): Promise<LoadResult> {
  const off = client.onEvent((e) => {
    const line = progressText(e);
    if (line && (tty || e.type !== 'progress')) process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  });
  const onInt = () => {
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
    if (tty) process.stderr.write('\r\x1b[K');
  }
}
