// A cheap upper bound on a request's prompt tokens, so the engine's tokenizer (count_tokens) runs
// only when the bound cannot rule out an overflow of the context window.
//
// Two facts make the bound: a token stands for at least one byte of the JSON text it came from,
// so a body's size bounds its tokens; and Claude Code's conversations grow by appending, so a
// request whose messages extend an already-counted request (same model, system and tools) has
// at most that count plus the bytes it added. The guard then rarely waits for the tokenizer
// before forwarding (a peer gateway spends ~28 ms per Claude-Code-sized request on it); the
// counts taken beside each streamed answer's prefill keep the base fresh.
import { createHash } from 'node:crypto';

/** The parts of a Messages request that the bound looks at, serialized once by the caller. */
export interface BodyParts {
  model: string;
  /** JSON of `system` and `tools` (absent ones as ''). */
  systemJson: string;
  toolsJson: string;
  /** JSON of `messages`. */
  messagesJson: string;
  /** UTF-8 size of the whole body as it will be sent. */
  bodyBytes: number;
}

interface Counted { messagesHead: string; messagesBytes: number; tokens: number }

/** Conversations remembered at once: the main loop, a few subagents, background calls. */
const REMEMBERED = 8;

export class TokenBounds {
  readonly #counted = new Map<string, Counted>();

  /** An upper bound on this body's prompt tokens. */
  bound(p: BodyParts): number {
    let best = p.bodyBytes;
    const prev = this.#counted.get(keyOf(p));
    if (prev && p.messagesJson.startsWith(prev.messagesHead)) {
      best = Math.min(best, prev.tokens + (Buffer.byteLength(p.messagesJson) - prev.messagesBytes));
    }
    return best;
  }

  /** Records the engine's count for this body, the base for the bounds of its successors. */
  remember(p: BodyParts, tokens: number): void {
    const key = keyOf(p);
    this.#counted.delete(key); // re-inserted last: the Map's order is the recency order
    // Without the closing ']' an appended message keeps the old JSON a prefix of the new.
    this.#counted.set(key, { messagesHead: p.messagesJson.slice(0, -1), messagesBytes: Buffer.byteLength(p.messagesJson), tokens });
    if (this.#counted.size > REMEMBERED) this.#counted.delete(this.#counted.keys().next().value!);
  }
}

function keyOf(p: BodyParts): string {
  return createHash('sha1').update(p.model).update('\0').update(p.systemJson).update('\0').update(p.toolsJson).digest('hex');
}
