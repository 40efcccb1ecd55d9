// `cclocald status [--json]`: health at a glance. Exit 0 when the daemon answers, 1 when not.
import { upstreamLines } from '../../common/upstream-lines.js';
import { shrunkWindowNote } from '../../common/window-note.js';
import type { StatusResult } from '../protocol/protocol.js';
import { connectOrExplain, currentPaths, printRpcError } from './connect-home.js';
import { formatBytes, formatDuration } from './format.js';
import { serviceLine } from './service-cmd.js';

export function renderStatus(s: StatusResult): string {
  const e = s.engine;
  const lines = [
    `cclocald ${s.daemon.version}  pid ${s.daemon.pid}  up ${formatDuration(s.daemon.uptimeS)}  home ${s.daemon.home}`,
    `engine   ${e.kind}  ${e.state}${e.model ? `  ${e.model}` : ''}  context ${e.contextWindow} tokens${e.pid ? `  pid ${e.pid}` : ''}${e.url ? `  ${e.url}` : ''}  restarts ${e.restarts}`,
  ];
  if (e.progress && (e.state === 'downloading' || e.state === 'loading')) {
    lines.push(e.state === 'downloading'
      ? `         downloading ${formatBytes(e.progress.bytes)} (${(e.progress.rateBps / 1024 ** 2).toFixed(1)} MB/s)`
      : `         loading into memory… ${e.progress.loadingS}s (${formatBytes(e.progress.bytes)} cached)`);
  }
  if (e.upstreams) lines.push(`upstreams (requests go to the first healthy one)`, ...upstreamLines(e.upstreams));
  const shrunk = shrunkWindowNote(e);
  if (shrunk) lines.push(`         ⚠ ${shrunk}`);
  if (e.memory) lines.push(`         Metal memory ${e.memory.activeGB.toFixed(1)}GB active, ${e.memory.peakGB.toFixed(1)}GB peak`);
  if (e.lastCrash) lines.push(`last crash  ${e.lastCrash.reason} at ${e.lastCrash.at}${e.lastCrash.signal ? ` (${e.lastCrash.signal})` : e.lastCrash.exitCode !== null ? ` (exit ${e.lastCrash.exitCode})` : ''}`);
  if (e.error) lines.push(`error    ${e.error.message} (${e.error.reason})${e.error.hint ? `\n  hint: ${e.error.hint}` : ''}`);
  if (e.kind !== 'remote') lines.push(`engine bin ${e.bin ?? 'not found'}`);
  lines.push(`endpoint ${s.endpoint.url}  (status page: ${s.endpoint.url}/ in a browser; metrics: ${s.endpoint.url}/metrics)`);
  for (const c of (s.endpoint.sessions ?? []).slice(0, 5)) {
    const agents = Object.entries(c.agents).map(([a, n]) => `${a} ${n}`).join(', ');
    lines.push(`session  ${c.session.slice(0, 36)}  ${c.requests} requests${c.errors ? `, ${c.errors} errors` : ''}  (${agents})  last ${c.lastAt}`);
  }
  return lines.join('\n');
}

export async function statusCommand(opts: { json?: boolean }): Promise<number> {
  const client = await connectOrExplain(currentPaths());
  if (!client) {
    if (!opts.json) process.stderr.write(`${await serviceLine()}\n`);
    return 1;
  }
  try {
    const s = await client.request('status');
    process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + '\n' : `${renderStatus(s)}\n${await serviceLine()}\n`);
    return 0;
  } catch (err) {
    printRpcError(err);
    return 1;
  } finally {
    client.close();
  }
}
