// What folding Claude Code's mid-conversation system entries costs and keeps, on the request
// bodies captured from the real CLI (test/fixtures/claude-requests/):
// - the time to shape a request (fold + deferred tools), against JSON.parse of the same body,
//   which the endpoint does anyway;
// - the bytes each way keeps in common with what came before, the part an engine's prefix cache
//   can reuse: fold in place (cclocal's choice) against hoisting the entry into the top-level
//   `system`, within a session (turn after turn) and across sessions (another folder, another day).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropDeferredTools } from '../daemon/endpoint/request-rewrite.js';
import { foldSystemMessages } from '../daemon/endpoint/system-fold.js';
import { ROOT } from '../test/helpers/daemon.js';

type Body = { system?: unknown; messages: Array<{ role: string; content: unknown }>; tools?: unknown };

const load = (n: number): string => readFileSync(join(ROOT, 'test', 'fixtures', 'claude-requests', `2.1.332-${n}.json`), 'utf8');

/** The other way: every system entry's text joined to the end of the top-level system prompt. */
function hoist(body: Body): void {
  const entries = body.messages.filter((m) => m.role === 'system').map((m) => String(m.content));
  body.messages = body.messages.filter((m) => m.role !== 'system');
  const system = Array.isArray(body.system) ? body.system : [{ type: 'text', text: String(body.system ?? '') }];
  body.system = [...system, ...entries.map((text) => ({ type: 'text', text }))];
}

/** What an engine renders, in its order: system, tools, then the conversation. */
const rendered = (b: Body) => JSON.stringify([b.system, b.tools, b.messages]);

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function shaped(raw: string, way: 'fold' | 'hoist'): string {
  const b = JSON.parse(raw) as Body;
  if (way === 'fold') foldSystemMessages(b); else hoist(b);
  dropDeferredTools(b as Record<string, unknown>);
  return rendered(b);
}

export async function requestShape(): Promise<string[]> {
  const turns = [1, 2, 3].map(load);
  // Another session: another folder and another day change only the environment block.
  const elsewhere = turns[0]!.replaceAll('/tmp/project', '/home/user/other-project').replace("Today's date is 2026-01-01", "Today's date is 2026-01-02");
  const out: string[] = [];
  for (const way of ['fold', 'hoist'] as const) {
    const s = turns.map((t) => shaped(t, way));
    const within = commonPrefix(s[0]!, s[1]!) / s[0]!.length;
    const across = commonPrefix(s[0]!, shaped(elsewhere, way)) / s[0]!.length;
    out.push(`${way.padEnd(5)}: turn 2 reuses ${(within * 100).toFixed(1)}% of turn 1's bytes; another session reuses ${(across * 100).toFixed(1)}%`);
  }
  // Interleaved rounds after a warm-up, medians: the two loops see the same JIT and machine state.
  const raw = turns[2]!;
  const N = 1000;
  const parseOnly = () => { for (let i = 0; i < N; i++) JSON.parse(raw); };
  const parseAndShape = () => { for (let i = 0; i < N; i++) { const b = JSON.parse(raw) as Record<string, unknown>; foldSystemMessages(b); dropDeferredTools(b); } };
  const time = (f: () => void) => { const t0 = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t0) / N; };
  parseOnly(); parseAndShape();
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < 9; r++) { a.push(time(parseOnly)); b.push(time(parseAndShape)); }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  const parse = median(a);
  const shaped2 = median(b);
  out.push(`shaping a ${(raw.length / 1024).toFixed(0)} KB request: ${((shaped2 - parse) / 1000).toFixed(1)} µs on top of JSON.parse's ${(parse / 1000).toFixed(1)} µs (×${(shaped2 / parse).toFixed(3)} of parse alone)`);
  return out;
}
