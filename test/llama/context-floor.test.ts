// The context floor (daemon/config.ts CONTEXT_FLOOR) measured again from what Claude Code really
// sends: the requests captured in test/fixtures/claude-requests/ (scripts/capture-requests.ts),
// tokenized by the real llama-server. Fails when a new release's own prompt outgrows the floor.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_OUT_TOKENS } from '../../common/attach-env.js';
import { DEFAULT_TUNABLES } from '../../daemon/config.js';
import { shapeForEngine } from '../../daemon/endpoint/request-rewrite.js';
import { makeHome, ROOT, startDaemon } from '../helpers/daemon.js';
import { engineAuth, realLlama } from '../helpers/llama.js';

const found = realLlama();
const L = 'unavailable' in found ? null : found;
const skip = 'unavailable' in found ? found.unavailable : false;
const DIR = join(ROOT, 'test', 'fixtures', 'claude-requests');

/** Room for models whose tokenizers split finer than Qwen2's: a judgement, not a measurement
 *  (four bytes a token over the raw request, the rule that gives the "about 6K" often quoted for
 *  2.1.332, comes out 22% above Qwen2's count). */
const TOKENIZER_MARGIN = 1.25;

type Block = { type?: string; text?: string; input?: unknown; content?: unknown };
/** The text a chat template renders for a content field (a string or content blocks). */
const textOf = (c: unknown): string => typeof c === 'string' ? c
  : Array.isArray(c) ? (c as Block[]).map((b) => b.text ?? (b.type === 'tool_use' ? JSON.stringify(b.input) : b.type === 'tool_result' ? textOf(b.content) : JSON.stringify(b))).join('\n')
  : JSON.stringify(c ?? '');

test("the context floor holds Claude Code's own prompt, a first turn and a whole answer, measured on its captured requests", { skip }, async (t) => {
  const home = makeHome(t, { env: { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: undefined, CCLOCAL_BUILD_CACHE: L!.buildCache } });
  const d = await startDaemon(t, home);
  const { url } = await d.rpc.request('load', { model: L!.eos });
  const tokens = async (content: string): Promise<number> => {
    const res = await fetch(`${url}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json', ...engineAuth(home) }, body: JSON.stringify({ content }) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { tokens: unknown[] }).tokens.length;
  };
  let largest = 0;
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length > 0);
  for (const f of files) {
    // What the engine is given: the endpoint's rewrite first (a folded system entry, no deferred tools).
    const body = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { system?: unknown; tools?: unknown[]; messages: Array<{ content: unknown }> };
    shapeForEngine(body as Record<string, unknown>);
    // Tools counted as their JSON: the tiny model's template leaves them out, real ones render it.
    const parts = { system: await tokens(textOf(body.system)), tools: await tokens(JSON.stringify(body.tools ?? [])), firstTurn: await tokens(textOf(body.messages[0]!.content)) };
    const own = parts.system + parts.tools + parts.firstTurn;
    t.diagnostic(`${f}: system ${parts.system} + tools ${parts.tools} + first user turn ${parts.firstTurn} = ${own} tokens`);
    largest = Math.max(largest, own);
  }
  const needed = Math.ceil(largest * TOKENIZER_MARGIN) + DEFAULT_OUT_TOKENS;
  t.diagnostic(`needed: ${largest} × ${TOKENIZER_MARGIN} + an answer of ${DEFAULT_OUT_TOKENS} = ${needed}; floor ${DEFAULT_TUNABLES.contextFloor}`);
  assert.ok(DEFAULT_TUNABLES.contextFloor >= needed, `the floor ${DEFAULT_TUNABLES.contextFloor} is below the ${needed} tokens Claude Code needs: raise CONTEXT_FLOOR in daemon/config.ts`);
  assert.ok(DEFAULT_TUNABLES.contextFloor <= DEFAULT_TUNABLES.defaultContextWindow);
});
