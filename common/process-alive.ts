// Whether a pid names a live process: the one place signal 0 is read.
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
