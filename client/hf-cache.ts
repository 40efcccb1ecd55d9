// The Hugging Face cache as `--list` and `--rm` see it: every models--org--name folder.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CATALOG } from '../daemon/protocol/catalog.js';

export interface CachedModel { id: string; dir: string; bytes: number; flag: string | null }

export function hubCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return resolve(env.HF_HUB_CACHE);
  if (env.HF_HOME) return join(resolve(env.HF_HOME), 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

function bytesUnder(path: string): number {
  let total = 0;
  let entries;
  try { entries = readdirSync(path, { withFileTypes: true }); } catch { return 0; }
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += bytesUnder(p);
    else if (e.isFile()) { try { total += lstatSync(p).size; } catch { /* gone */ } }
  }
  return total;
}

export function listCached(hub: string): CachedModel[] {
  let names: string[];
  try { names = readdirSync(hub).filter((n) => n.startsWith('models--')).sort(); } catch { return []; }
  return names.map((n) => {
    const id = n.slice('models--'.length).replace('--', '/');
    return { id, dir: join(hub, n), bytes: bytesUnder(join(hub, n)), flag: CATALOG.find((e) => e.id === id)?.name ?? null };
  });
}

export function formatSize(bytes: number): string {
  const kb = bytes / 1024;
  if (kb >= 1048576) return `${(kb / 1048576).toFixed(1)}G`;
  if (kb >= 1024) return `${Math.round(kb / 1024)}M`;
  return `${Math.round(kb)}K`;
}

export function renderList(hub: string, models: CachedModel[]): string {
  const lines = ['Cached models on disk', hub, ''];
  if (models.length === 0) return [...lines, '  No cached models.'].join('\n');
  models.forEach((m, i) => lines.push(`  ${String(i + 1).padStart(2)}  ${m.id.padEnd(55)} ${formatSize(m.bytes).padStart(6)}${m.flag ? ` (--${m.flag})` : ''}`));
  lines.push('', `  Total cache size: ${formatSize(models.reduce((a, m) => a + m.bytes, 0))}`);
  return lines.join('\n');
}

export class ServedModelError extends Error {}

/** Deletes a cached model; the one the daemon is serving is refused. */
export function removeCached(m: CachedModel, servedId: string | null): void {
  if (servedId && m.id === servedId) throw new ServedModelError(`${m.id} is loaded in cclocald; run \`cclocald unload\` first`);
  rmSync(m.dir, { recursive: true, force: true });
}
