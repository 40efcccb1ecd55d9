// `cclocald load <model> [--ctx N] [--engine NAME]` and `cclocald unload`, with live progress while loading.
import { EngineChoiceError, loadRequest } from '../../common/load-request.js';
import type { DaemonEvent, LoadParams } from '../protocol/protocol.js';
import { connectOrExplain, currentPaths, printRpcError } from './connect-home.js';
import { ProgressDisplay, progressEveryMs } from '../../common/progress-line.js';

/** The lines a load prints besides its progress (common/progress-line.ts draws that). */
function progressLine(e: DaemonEvent): string | null {
  switch (e.type) {
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
  // On a terminal one live line (the bar shows the phase, so state changes are not repeated); in a
  // pipe a progress line every few seconds and each state change on its own line.
  const display = new ProgressDisplay({ stream: process.stderr, tty, everyMs: progressEveryMs(process.env) });
  client.onEvent((e) => {
    if (e.type === 'progress') return display.show(e);
    const line = progressLine(e);
    if (line && !(tty && e.type === 'state')) display.note(line);
  });
  try {
    const r = await client.request('load', params);
    display.stop(); // before stdout's line: on a terminal both share the screen
    process.stdout.write(`ready: ${r.model}  context ${r.contextWindow} tokens  ${r.kind} ${r.url}\n`);
    return 0;
  } catch (err) {
    display.stop();
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
