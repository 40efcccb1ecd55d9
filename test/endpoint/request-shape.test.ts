// What reaches an engine from the request bodies a real Claude Code sends (captured with
// scripts/capture-requests.ts, scrubbed): no `role: "system"` entry in `messages`, roles that
// alternate, earlier bytes that stay put from turn to turn, and no deferred tool.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { dropDeferredTools } from '../../daemon/endpoint/request-rewrite.js';
import { foldSystemMessages, foldedText } from '../../daemon/endpoint/system-fold.js';
import { TokenBounds } from '../../daemon/endpoint/token-bound.js';
import { ROOT } from '../helpers/daemon.js';

type Msg = { role: string; content: unknown };
type Body = { model: string; messages: Msg[]; system?: unknown; tools?: Array<{ name: string; defer_loading?: boolean }> };

const DIR = join(ROOT, 'test', 'fixtures', 'claude-requests');
const captured = (version: string): Body[] => readdirSync(DIR).filter((f) => f.startsWith(`${version}-`))
  .sort((a, b) => Number(a.split('-')[1]!.split('.')[0]) - Number(b.split('-')[1]!.split('.')[0]))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Body);
const CURRENT = captured('2.1.332');
const shaped = (b: Body): Body => { const c = structuredClone(b); foldSystemMessages(c); dropDeferredTools(c); return c; };

test('the current CLI puts its environment block in messages as a system entry (the fixtures show the break)', () => {
  assert.ok(CURRENT.length >= 3, 'captured bodies of a tool loop');
  for (const b of CURRENT) assert.ok(b.messages.some((m) => m.role === 'system'), 'a system entry inside messages');
  assert.match(JSON.stringify(CURRENT[0]!.messages.find((m) => m.role === 'system')), /# Environment/);
});

for (const version of ['2.1.332', '2.1.197']) {
  test(`no system entry reaches the engine, roles alternate and the first is user (CLI ${version})`, () => {
    for (const b of captured(version)) {
      const s = shaped(b);
      assert.ok(s.messages.every((m) => m.role === 'user' || m.role === 'assistant'), JSON.stringify(s.messages.map((m) => m.role)));
      assert.equal(s.messages[0]!.role, 'user');
      s.messages.forEach((m, i) => { if (i > 0) assert.notEqual(m.role, s.messages[i - 1]!.role, `roles alternate at ${i}`); });
      // A body with no system entry and no deferred tool (2.1.197's) reaches the engine as sent.
      if (!b.messages.some((m) => m.role === 'system') && !b.tools?.some((t) => t.defer_loading)) assert.deepEqual(s, b);
    }
  });
}

test('the environment text is kept, in place, at the end of the prompt it followed', () => {
  const b = CURRENT[0]!;
  const env = b.messages.find((m) => m.role === 'system')!.content as string;
  const s = shaped(b);
  const first = s.messages[0]!.content as Array<{ type: string; text: string }>;
  assert.deepEqual(first.slice(0, -1), b.messages[0]!.content, 'the prompt itself is unchanged');
  assert.deepEqual(first.at(-1), { type: 'text', text: foldedText(env) });
  assert.ok(first.at(-1)!.text.includes('Primary working directory'));
  assert.deepEqual(s.system, b.system, 'the top-level system prompt (the first bytes) is untouched');
});

test('each turn of the session extends the previous one byte for byte (prefix cache and token bound hold)', () => {
  // What an engine renders first, the system prompt and the tools, is the same in every turn and
  // the same as the CLI sent it.
  for (const b of CURRENT) assert.deepEqual(shaped(b).system, CURRENT[0]!.system);
  const texts = CURRENT.map((b) => JSON.stringify(shaped(b).messages));
  for (let i = 1; i < texts.length; i++) assert.ok(texts[i]!.startsWith(texts[i - 1]!.slice(0, -1)), `turn ${i + 1} starts with turn ${i}`);
  // So the endpoint's cheap bound still works: a remembered count bounds the next turn.
  const bounds = new TokenBounds();
  const parts = (b: Body) => { const s = shaped(b); const m = JSON.stringify(s.messages); return { model: s.model, systemJson: JSON.stringify(s.system), toolsJson: JSON.stringify(s.tools), messagesJson: m, bodyBytes: JSON.stringify(s).length }; };
  bounds.remember(parts(CURRENT[0]!), 5000);
  assert.ok(bounds.bound(parts(CURRENT[1]!)) < parts(CURRENT[1]!).bodyBytes, 'bounded by the count, not the body size');
});

test('a system entry with no user turn before it joins the next one, or stands as a user turn of its own', () => {
  const before = { messages: [{ role: 'system', content: 'A' }, { role: 'user', content: 'hi' }] };
  assert.equal(foldSystemMessages(before), 1);
  assert.deepEqual(before.messages, [{ role: 'user', content: [{ type: 'text', text: foldedText('A') }, { type: 'text', text: 'hi' }] }]);
  const afterAssistant = { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yes' }, { role: 'system', content: [{ type: 'text', text: 'B' }] }] };
  foldSystemMessages(afterAssistant);
  assert.deepEqual(afterAssistant.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(afterAssistant.messages[2]!.content, [{ type: 'text', text: foldedText('B') }]);
  const twoInARow = { messages: [{ role: 'assistant', content: 'a' }, { role: 'system', content: 'S1' }, { role: 'developer', content: 'S2' }, { role: 'user', content: 'u' }] };
  assert.equal(foldSystemMessages(twoInARow), 2);
  assert.deepEqual(twoInARow.messages.map((m) => m.role), ['assistant', 'user']);
  // Between a tool call and its result: after the result, which Anthropic's API wants first.
  const result = { type: 'tool_result', tool_use_id: 't1', content: 'ok' };
  const midTool = { messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }] }, { role: 'system', content: 'C' }, { role: 'user', content: [result] }] };
  foldSystemMessages(midTool);
  assert.deepEqual(midTool.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(midTool.messages[2]!.content, [result, { type: 'text', text: foldedText('C') }]);
  // An image in an entry is kept, an empty entry leaves nothing, a malformed entry is passed on.
  const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } };
  const odd = { messages: [{ role: 'user', content: 'hi' }, { role: 'system', content: [{ type: 'text', text: 'D', cache_control: { type: 'ephemeral' } }, image] }, { role: 'system', content: '' }, null] };
  assert.equal(foldSystemMessages(odd), 2);
  assert.deepEqual(odd.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'text', text: foldedText('D') }, image] }, null]);
  const untouched = { messages: [{ role: 'user', content: 'hi' }] };
  assert.equal(foldSystemMessages(untouched), 0);
  assert.equal(foldSystemMessages({}), 0);
});

test('deferred tools (the API hides them until tool search) are dropped; every other tool and field stays', () => {
  const b = shaped(CURRENT[0]!);
  const names = b.tools!.map((t) => t.name);
  assert.ok(CURRENT[0]!.tools!.some((t) => t.name === 'DeferredToolPlaceholder' && t.defer_loading === true));
  assert.ok(!names.includes('DeferredToolPlaceholder'));
  assert.equal(names.length, CURRENT[0]!.tools!.length - 1);
  // vllm-mlx's AnthropicRequest ignores fields it does not know (pydantic's default): they stay.
  for (const k of ['thinking', 'output_config', 'context_management', 'metadata']) assert.ok(k in b, k);
});
