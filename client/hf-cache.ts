// The Hugging Face cache as `--list` and `--rm` see it: every models--org--name folder.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../common/catalog.js';
import { dirBytes } from '../common/hf-cache.js';

export { hubCacheDir } from '../common/hf-cache.js';

export interface CachedModel { id: string; dir: string; bytes: number; flag: string | null }

export function listCached(hub: string): CachedModel[] {
  let names: string[];
  try { names = readdirSync(hub).filter((n) => n.startsWith('models--')).sort(); } catch { return []; }
  return names.map((n) => {
    const id = n.slice('models--'.length).replace('--', '/');
    return { id, dir: join(hub, n), bytes: dirBytes(join(hub, n)), flag: CATALOG.find((e) => e.id === id)?.name ?? null };
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
