// The Hugging Face hub cache, as both the daemon (progress, preflight) and the client (--list, --rm)
// read it: where it is (the HF_HUB_CACHE / HF_HOME convention) and how big a folder is.
import { lstatSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function hubCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return resolve(env.HF_HUB_CACHE);
  if (env.HF_HOME) return join(resolve(env.HF_HOME), 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

/** Bytes under a folder; symlinks (HF snapshots point into blobs/) are not followed. */
export function dirBytes(path: string): number {
  let total = 0;
  let entries;
  try { entries = readdirSync(path, { withFileTypes: true }); } catch { return 0; }
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) { try { total += lstatSync(p).size; } catch { /* vanished mid-scan */ } }
  }
  return total;
}
