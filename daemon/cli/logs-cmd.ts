// `cclocald logs [-f] [--engine] [--json]`: print the daemon's or the engine's log, and follow it.
// Following uses chokidar so a rotation (engine.log → engine.log.1 at each engine start) is
// seen as the file starting over. The daemon's log is pino's JSON lines: on a terminal each is
// rendered by pino-pretty (level, local time, pid, [module] message, then its fields on the same
// line); piped, or with --json, the lines are copied as they are, for jq and the like. The
// engine's log is the engine's own text: always as it is.
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import chokidar from 'chokidar';
import pretty from 'pino-pretty';
import { currentPaths } from './connect-home.js';

/** How often a follower looks at the file besides the watcher's events. */
const FOLLOW_SWEEP_MS = 500;

/** A line longer than this is rendered in pieces rather than held without end. */
const MAX_LINE_BYTES = 1024 * 1024;

export interface RenderOptions { colorize: boolean }

const renderers = new Map<boolean, (line: string) => string>();

/**
 * One line of the daemon's log as a person reads it, ending in a newline. A line that is not a
 * pino record (the daemon's own stderr, a half-written line) comes back as it is; pino-pretty
 * also strips control characters from what it renders.
 */
export function renderLogLine(line: string, o: RenderOptions): string {
  let render = renderers.get(o.colorize);
  if (!render) {
    render = pretty.prettyFactory({
      colorize: o.colorize,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      singleLine: true,
      // Every module logs through a child with `mod`: shown before the message, not among the fields.
      messageFormat: '{if mod}[{mod}] {end}{msg}',
      ignore: 'hostname,mod',
    });
    renderers.set(o.colorize, render);
  }
  const out = render(line);
  return out.endsWith('\n') ? out : `${out}\n`;
}

/** Where the bytes of the log go: as they are, or cut into lines and rendered. */
interface Sink { write(chunk: Buffer): void; /** A partial last line is written out (end of file, or rotation). */ flush(): void }

function rawSink(): Sink {
  return { write: (chunk) => { process.stdout.write(chunk); }, flush: () => undefined };
}

function prettySink(o: RenderOptions): Sink {
  let pending = Buffer.alloc(0);
  const emit = (bytes: Buffer) => {
    const text = bytes.toString('utf8');
    if (text.trim() === '') { process.stdout.write(`${text}\n`); return; }
    process.stdout.write(renderLogLine(text, o));
  };
  return {
    write(chunk) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10)) {
        emit(buf.subarray(0, nl));
        buf = buf.subarray(nl + 1);
      }
      if (buf.length > MAX_LINE_BYTES) { emit(buf); buf = Buffer.alloc(0); }
      pending = Buffer.from(buf);
    },
    flush() {
      if (pending.length) emit(pending);
      pending = Buffer.alloc(0);
    },
  };
}

function copyRange(path: string, from: number, sink: Sink): number {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return from; }
  try {
    const size = statSync(path).size;
    if (size < from) { sink.flush(); from = 0; } // replaced by a new, shorter file
    const buf = Buffer.alloc(64 * 1024);
    let pos = from;
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n <= 0) break;
      sink.write(Buffer.from(buf.subarray(0, n)));
      pos += n;
    }
    return pos;
  } finally {
    closeSync(fd);
  }
}

export async function logsCommand(opts: { follow?: boolean; engine?: boolean; json?: boolean }): Promise<number> {
  const paths = currentPaths();
  const file = opts.engine ? paths.engineLog : paths.daemonLog;
  const readable = !opts.engine && !opts.json && process.stdout.isTTY === true;
  const sink = readable ? prettySink({ colorize: pretty.isColorSupported }) : rawSink();
  // `cclocald logs | head`: the reader went away; that ends the command, it is not a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });
  if (!opts.follow) {
    if (!existsSync(file)) {
      process.stderr.write(`cclocald: no log yet at ${file}\n`);
      return 1;
    }
    if (!readable) {
      await new Promise<void>((resolve, reject) => createReadStream(file).on('end', resolve).on('error', reject).pipe(process.stdout, { end: false }));
      return 0;
    }
    await new Promise<void>((resolve, reject) => createReadStream(file).on('data', (c) => sink.write(c as Buffer)).on('end', resolve).on('error', reject));
    sink.flush();
    return 0;
  }
  // Watching first, then the first copy: a line written in between is not lost. A rotation is a
  // new file (another inode): it is read from its start, however large it already grew, and
  // whether the watcher calls it an add or a change.
  const watcher = chokidar.watch(dirname(file), { depth: 0, ignoreInitial: true });
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  const inode = () => { try { return statSync(file).ino; } catch { return -1; } };
  let ino = inode();
  let pos = copyRange(file, 0, sink);
  const catchUp = () => {
    const now = inode();
    // The old file's unfinished last line is all it will ever have.
    if (now !== ino) { ino = now; pos = 0; sink.flush(); }
    pos = copyRange(file, pos, sink);
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
  sink.flush();
  return 0;
}
