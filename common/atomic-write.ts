// The one way cclocal writes a whole file: a fresh temp name beside it, created exclusively
// ('wx' is O_CREAT|O_EXCL, which never follows a link left at that name), then renamed over the
// file. A crash or a full disk mid-write leaves the old file whole, and a name planted in advance
// by someone else (issue #11: an `attach.sh.tmp` symlink) is never written through: the suffix is
// random, and an existing name is skipped, not opened.
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** A clash means someone planted that exact name; a few fresh draws then give up. */
const ATTEMPTS = 5;

export function writeFileAtomic(path: string, data: string, mode = 0o600, suffix: () => string = () => randomBytes(8).toString('hex')): void {
  for (let attempt = 1; ; attempt++) {
    const tmp = `${path}.${suffix()}.tmp`;
    try {
      writeFileSync(tmp, data, { mode, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < ATTEMPTS) continue;
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') removeQuietly(tmp); // a part written before ENOSPC
      throw err;
    }
    try {
      renameSync(tmp, path);
      return;
    } catch (err) {
      removeQuietly(tmp);
      throw err;
    }
  }
}

function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* never created, or already gone */ }
}
