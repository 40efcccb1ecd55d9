// Whether the disk that holds a path has no room left: an engine that dies on a full disk often
// leaves no words at all (its log is on the same disk), so its silence is read with statfs(2).
import { statfsSync } from 'node:fs';

/** Less than this free for an unprivileged writer counts as full. */
const FULL_BELOW_BYTES = 1024 * 1024;

export function diskIsFull(path: string): boolean {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize < FULL_BELOW_BYTES;
  } catch {
    return false;
  }
}
