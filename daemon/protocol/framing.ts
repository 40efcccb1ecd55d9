// One JSON value per '\n'-terminated UTF-8 line. Knows lines, not methods.
import type { Readable, Writable } from 'node:stream';

/** A control message is small; a megabyte means a confused or hostile peer. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface LineReaderHandlers {
  onLine(line: string): void;
  /** A line over MAX_LINE_BYTES was dropped; the reader resynchronises at the next '\n'. */
  onOverflow(): void;
}

/** Splits a stream into lines; a code point split across chunks survives (setEncoding). */
export function readLines(stream: Readable, handlers: LineReaderHandlers, maxBytes = MAX_LINE_BYTES): void {
  stream.setEncoding('utf8');
  let buffered = '';
  let discarding = false;
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (let nl = chunk.indexOf('\n', start); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (discarding) { discarding = false; buffered = ''; continue; }
      const line = buffered + piece;
      buffered = '';
      if (Buffer.byteLength(line) > maxBytes) { handlers.onOverflow(); continue; }
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed.trim().length > 0) handlers.onLine(trimmed);
    }
    if (discarding) return;
    buffered += chunk.slice(start);
    if (Buffer.byteLength(buffered) > maxBytes) {
      buffered = '';
      discarding = true;
      handlers.onOverflow();
    }
  });
}

/** Writes whole lines; one write per message keeps responses and notifications from interleaving. */
export function writeLine(stream: Writable, value: unknown): boolean {
  if (stream.destroyed || !stream.writable) return false;
  return stream.write(JSON.stringify(value) + '\n');
}
