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

  push(chunk: Buffer): SseUnit[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const units: SseUnit[] = [];
    for (let end = this.#buf.indexOf(SEP); end !== -1; end = this.#buf.indexOf(SEP)) {
      const raw = this.#buf.subarray(0, end + 2);
      this.#buf = this.#buf.subarray(end + 2);
      units.push(parseUnit(raw));
    }
    return units;
  }

  /** Bytes of an incomplete unit left when the stream ended. */
  rest(): Buffer {
    return this.#buf;
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
  return { raw: Buffer.from(raw), event, data: data.join('\n') };
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
