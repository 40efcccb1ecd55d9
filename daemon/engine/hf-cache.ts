// The model's folder in the Hugging Face cache: how big it is, and whether it looks complete.
// Progress is measured by size, never by parsing HF's tqdm bars (seed #16: robust and cheap).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheFolderName } from '../../common/catalog.js';
export { dirBytes } from '../../common/hf-cache.js';

export function modelCacheDir(hubCache: string, modelId: string): string {
  return join(hubCache, cacheFolderName(modelId));
}

/** Whether huggingface_hub is writing a file here: it downloads into `blobs/<hash>.incomplete`. */
export function hasIncompleteBlob(dir: string): boolean {
  return hasBlobEnding(dir, '.incomplete');
}

/** A snapshot with a config.json and no blob still being written. */
export function looksCached(dir: string): boolean {
  let snapshots: string[];
  try { snapshots = readdirSync(join(dir, 'snapshots')); } catch { return false; }
  if (!snapshots.some((s) => existsSync(join(dir, 'snapshots', s, 'config.json')))) return false;
  return !hasIncompleteBlob(dir);
}

/** The file names in each snapshot of a cache folder (empty when there is none). */
export function snapshotFiles(dir: string): string[] {
  let snapshots: string[];
  try { snapshots = readdirSync(join(dir, 'snapshots')); } catch { return []; }
  return snapshots.flatMap((s) => { try { return readdirSync(join(dir, 'snapshots', s)); } catch { return []; } });
}

/** Whether a blob with this suffix is being written (llama.cpp: `.downloadInProgress`). */
export function hasBlobEnding(dir: string, suffix: string): boolean {
  try { return readdirSync(join(dir, 'blobs')).some((b) => b.endsWith(suffix)); } catch { return false; }
}
