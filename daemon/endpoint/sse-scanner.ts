// Splits an SSE byte stream into whole units (an event, or a comment like vllm-mlx's
// ": heartbeat") without changing a byte, so the relay can forward per event and still see
// which event it is.

export interface SseUnit {
  raw: Buffer;
  /** The `event:` name, or null for a comment-only unit. */
  event: string | null;
  /** The `data:` payload (joined), for the few events the relay inspects. */
  data: string;
}

const SEP = Buffer.from('\n\n');

export class SseScanner {
  #buf: Buffer = Buffer.alloc(0);

  /** Adds bytes; then take whole units with next(). */
  append(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
  }

  /** The next whole unit, or null; what follows stays buffered (see rest()). */
  next(): SseUnit | null {
    const end = this.#buf.indexOf(SEP);
    if (end === -1) return null;
    const raw = this.#buf.subarray(0, end + 2);
    this.#buf = this.#buf.subarray(end + 2);
    return parseUnit(raw);
  }

  push(chunk: Buffer): SseUnit[] {
    this.append(chunk);
    const units: SseUnit[] = [];
    for (let u = this.next(); u; u = this.next()) units.push(u);
    return units;
  }

  /** The bytes not yet taken as units; takes them out of the buffer. */
  rest(): Buffer {
    const r = this.#buf;
    this.#buf = Buffer.alloc(0);
    return r;
  }
}

function parseUnit(raw: Buffer): SseUnit {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of raw.toString('utf8').split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (event === null && data.length > 0) event = 'message';
  return { raw, event, data: data.join('\n') };
}

/** Events the engine sends before any generated token (vllm-mlx sends these before the prefill). */
export function isPreamble(u: SseUnit): boolean {
  if (u.event === 'message_start' || u.event === 'ping') return true;
  if (u.event !== 'content_block_start') return false;
  try {
    const block = (JSON.parse(u.data) as { content_block?: { type?: string; text?: string; thinking?: string } }).content_block;
    return (block?.type === 'text' && !block.text) || (block?.type === 'thinking' && !block.thinking);
  } catch {
    return false;
  }
}

const OUTPUT_TOKENS = Buffer.from('"output_tokens"');
/** Bytes of the previous chunk kept to find a pattern split between two chunks (message_stop's
 *  line, a usage key with its figure): at least STOP_EVENT's length less one. */
const SEAM_BYTES = 40;

/** The figure of the last `"output_tokens": N` that starts before `startBefore` and ends inside
 *  `buf` (a figure cut by the end may go on), or -1. A model's text cannot fake it: inside a JSON
 *  string its quotes are escaped. */
export function lastOutputTokens(buf: Buffer, startBefore: number): number {
  let found = -1;
  for (let i = buf.indexOf(OUTPUT_TOKENS); i !== -1 && i < startBefore; i = buf.indexOf(OUTPUT_TOKENS, i + 1)) {
    let j = i + OUTPUT_TOKENS.length;
    while (buf[j] === 0x20) j++;
    if (buf[j] !== 0x3a) continue; // ':'
    j++;
    while (buf[j] === 0x20) j++;
    let n = 0;
    const from = j;
    for (let c = buf[j]; c !== undefined && c >= 0x30 && c <= 0x39; c = buf[++j]) n = n * 10 + (c - 0x30);
    if (j > from && j < buf.length) found = n;
  }
  return found;
}

// Field names count only at the start of a line: JSON data never holds a raw newline, so a model
// that writes "event: message_stop" in its text cannot end the stream early.
const EVENT_FIELD = Buffer.from('\nevent:');
const STOP_EVENT = Buffer.from('\nevent: message_stop');

/**
 * After the first generated event the relay passes chunks through untouched; this keeps count of
 * events and notices message_stop without re-framing or copying the stream: a pattern split
 * between two chunks is found in the small seam of the kept tail and the new chunk's head. Its
 * first chunk starts at the start of a line.
 */
export class StreamTracker {
  #tail: Buffer = Buffer.from('\n');
  events = 0;
  sawStop = false;
  /** The last `"output_tokens":N` seen (message_delta's usage), or null. */
  outputTokens: number | null = null;

  /** Returns how many events began in this chunk (0 for a heartbeat-only chunk). */
  feed(chunk: Buffer): number {
    const keep = SEAM_BYTES;
    const seam = Buffer.concat([this.#tail, chunk.subarray(0, keep)]);
    let n = 0;
    // In the seam, only matches that start in the tail and reach into the chunk are new; the
    // rest of the chunk is searched where it lies.
    for (let i = seam.indexOf(EVENT_FIELD); i !== -1 && i < this.#tail.length; i = seam.indexOf(EVENT_FIELD, i + 1)) {
      if (i + EVENT_FIELD.length > this.#tail.length) n++;
    }
    for (let i = chunk.indexOf(EVENT_FIELD); i !== -1; i = chunk.indexOf(EVENT_FIELD, i + 1)) n++;
    if (!this.sawStop && (seam.includes(STOP_EVENT) || chunk.includes(STOP_EVENT))) this.sawStop = true;
    // Usage: a figure cut by the chunk's end is read whole from the next seam. Later wins.
    let said = lastOutputTokens(chunk, chunk.length);
    if (said === -1) said = lastOutputTokens(seam, this.#tail.length);
    if (said !== -1) this.outputTokens = said;
    this.#tail = chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : seam.subarray(Math.max(0, seam.length - keep));
    this.events += n;
    return n;
  }
}

const ERROR_EVENT = Buffer.from('event: error');

/** Where an `event: error` unit starts in a chunk that begins at a line start, or -1. */
export function errorEventAt(chunk: Buffer): number {
  if (chunk.subarray(0, ERROR_EVENT.length).equals(ERROR_EVENT)) return 0;
  const i = chunk.indexOf(Buffer.concat([Buffer.from('\n'), ERROR_EVENT]));
  return i === -1 ? -1 : i + 1;
}
