// The daemon log's file: one synchronous append per line, so nothing waits in memory and a crash
// loses no line. A write that fails (a full disk) drops that line and says so once on stderr; it
// never blocks or throws. (sonic-boom 4, pino's own destination, retries such a write forever in
// flushSync and buffers every line meanwhile: on a full disk the daemon froze, deaf to SIGTERM.)
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class LogFile {
  readonly path: string;
  #fd: number | null = null;
  #failing = false;
  /** Lines dropped since the last failure began. */
  dropped = 0;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#fd = this.#open();
  }

  write(line: string): void {
    if (this.#fd === null) { this.dropped++; return; }
    const buf = Buffer.from(line);
    try {
      for (let off = 0; off < buf.length;) off += writeSync(this.#fd, buf, off);
      if (this.#failing) {
        this.#failing = false;
        process.stderr.write(`cclocald: ${this.path} is writable again (${this.dropped} log lines were dropped)\n`);
      }
    } catch (err) {
      this.dropped++;
      this.#report(err);
    }
  }

  /** After logrotate moved the file (SIGHUP). */
  reopen(): void {
    const old = this.#fd;
    this.#fd = this.#open();
    if (old !== null) try { closeSync(old); } catch { /* already closed */ }
  }

  #open(): number | null {
    try { return openSync(this.path, 'a', 0o600); } catch (err) { this.#report(err); return null; }
  }

  #report(err: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.dropped = Math.max(this.dropped, 1);
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    process.stderr.write(`cclocald: cannot write ${this.path} (${why}); log lines are dropped until it can be written\n`);
  }
}
