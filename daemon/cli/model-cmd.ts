// `cclocald load <model> [--ctx N] [--engine NAME]` and `cclocald unload`, with live progress while loading.
import { EngineChoiceError, loadRequest } from '../../common/load-request.js';
import type { DaemonEvent, LoadParams } from '../protocol/protocol.js';
import { connectOrExplain, currentPaths, printRpcError } from './connect-home.js';
import { formatBytes } from './format.js';

function progressLine(e: DaemonEvent): string | null {
  switch (e.type) {
    case 'progress':
      return e.phase === 'downloading'
        ? `⬇ downloading ${e.model} ${formatBytes(e.bytes)} (${(e.rateBps / 1024 ** 2).toFixed(1)} MB/s)`
        : `⏳ loading ${e.model} into memory… ${e.loadingS}s`;
    case 'state': return `engine ${e.to}`;
    case 'crash': return `engine crashed (${e.reason})`;
    case 'restart': return `restarting (attempt ${e.attempt})`;
    case 'contextShrunk': return `context window ${e.from} → ${e.to} after an out-of-memory crash`;
    case 'upstream': return `upstream ${e.url} ${e.healthy ? `healthy (${e.latencyMs} ms)` : `unhealthy: ${e.lastError}`}`;
    default: return null;
  }
}

export async function loadCommand(model: string, opts: { ctx?: number; engine?: string }): Promise<number> {
  let params: LoadParams;
  try {
    params = loadRequest({ model, contextWindow: opts.ctx, engineFlag: opts.engine, env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (!(err instanceof EngineChoiceError)) throw err;
    process.stderr.write(`cclocald: ${err.message}\n`);
    return 1;
  }
  const client = await connectOrExplain(currentPaths());
  if (!client) return 1;
  const tty = process.stderr.isTTY === true;
  // On a terminal one line is redrawn in place; in a pipe each state change gets its own line.
  client.onEvent((e) => {
    const line = progressLine(e);
    if (!line || (!tty && e.type === 'progress')) return;
    process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  });
  try {
    const r = await client.request('load', params);
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(`ready: ${r.model}  context ${r.contextWindow} tokens  ${r.kind} ${r.url}\n`);
    return 0;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    printRpcError(err);
    return 1;
  } finally {
    client.close();
  }
}

export async function unloadCommand(): Promise<number> {
  const client = await connectOrExplain(currentPaths());
  if (!client) return 1;
  try {
    await client.request('unload');
    process.stdout.write('unloaded; the engine has exited\n');
    return 0;
  } catch (err) {
    printRpcError(err);
    return 1;
  } finally {
    client.close();
  }
}
