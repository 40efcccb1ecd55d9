// `cclocald logs [-f] [--engine]`: print the daemon's or the engine's log, and follow it.
// Following uses chokidar so a rotation (engine.log → engine.log.1 at each engine start) is
// seen as the file starting over.
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import chokidar from 'chokidar';
import { currentPaths } from './connect-home.js';

/** How often a follower looks at the file besides the watcher's events. */
const FOLLOW_SWEEP_MS = 500;

function copyRange(path: string, from: number): number {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return from; }
  try {
    const size = statSync(path).size;
    if (size < from) from = 0; // replaced by a new, shorter file
    const buf = Buffer.alloc(64 * 1024);
    let pos = from;
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n <= 0) break;
      process.stdout.write(buf.subarray(0, n));
      pos += n;
    }
    return pos;
  } finally {
    closeSync(fd);
  }
}

export async function logsCommand(opts: { follow?: boolean; engine?: boolean }): Promise<number> {
  const paths = currentPaths();
  const file = opts.engine ? paths.engineLog : paths.daemonLog;
  if (!opts.follow) {
    if (!existsSync(file)) {
      process.stderr.write(`cclocald: no log yet at ${file}\n`);
      return 1;
    }
    await new Promise<void>((resolve, reject) => createReadStream(file).on('end', resolve).on('error', reject).pipe(process.stdout, { end: false }));
    return 0;
  }
  // Watching first, then the first copy: a line written in between is not lost. A rotation is a
  // new file (another inode): it is read from its start, however large it already grew, and
  // whether the watcher calls it an add or a change.
  const watcher = chokidar.watch(dirname(file), { depth: 0, ignoreInitial: true });
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  const inode = () => { try { return statSync(file).ino; } catch { return -1; } };
  let ino = inode();
  let pos = copyRange(file, 0);
  const catchUp = () => {
    const now = inode();
    if (now !== ino) { ino = now; pos = 0; }
    pos = copyRange(file, pos);
  };
  watcher.on('all', (event, changed) => {
    if (basename(changed) !== basename(file) || (event !== 'add' && event !== 'change')) return;
    catchUp();
  });
  // The events are a hint, not a promise: lines appended to a new file before the watcher has
  // attached to it raise no event of their own (the last line after a restart waited for the
  // next write). A check every half second, as tail -F does, catches them.
  const sweep = setInterval(catchUp, FOLLOW_SWEEP_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(sweep);
  await watcher.close();
  return 0;
}
