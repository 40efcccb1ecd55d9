// The table of Claude Code settings cclocal applies, and the flag rules, without processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attachPlan, attachScript, compactSettings, shQuote, TOOLS } from '../../common/attach-env.js';
import { childEnv, connectCommand } from '../../client/attach.js';
import { modelFromFlags } from '../../client/model-flag.js';

const plan = attachPlan({ endpointUrl: 'http://127.0.0.1:8000', model: 'mlx-community/gemma-4-e4b-it-4bit', contextWindow: 32768, outTokens: 8192, mcpConfigPath: '/opt/cclocal/mcp-local.json' });

test('every model tier and subagents use the local model, with the seed\'s timeouts and switches', () => {
  for (const k of ['ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'CLAUDE_CODE_SUBAGENT_MODEL']) {
    assert.equal(plan.env[k], 'mlx-community/gemma-4-e4b-it-4bit', k);
  }
  assert.equal(plan.env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:8000');
  assert.equal(plan.env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, '8192');
  assert.equal(plan.env.API_TIMEOUT_MS, '1800000');
  assert.equal(plan.env.CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS, '1800000');
  for (const k of ['DISABLE_PROMPT_CACHING', 'DISABLE_AUTOUPDATER', 'DISABLE_TELEMETRY', 'DISABLE_ERROR_REPORTING', 'DISABLE_NON_ESSENTIAL_MODEL_CALLS']) assert.equal(plan.env[k], '1', k);
  assert.equal(plan.env.CLAUDE_CODE_ATTRIBUTION_HEADER, '0');
  assert.deepEqual(plan.args.slice(0, 7), ['--strict-mcp-config', '--mcp-config', '/opt/cclocal/mcp-local.json', '--tools', TOOLS, '--allowedTools', TOOLS]);
  assert.equal(plan.args[9], '--append-system-prompt');
  assert.match(plan.args[10]!, /~150 lines/);
});

test('Claude Code is told the window, keeps its stream watchdog quiet and calls nothing home', () => {
  // Its window counts the answer too: the prompt room it leaves is the daemon's window.
  assert.equal(plan.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS, String(32768 + 8192));
  assert.equal(plan.env.CLAUDE_STREAM_IDLE_TIMEOUT_MS, '1800000');
  assert.equal(plan.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, '1');
  assert.deepEqual(plan.args.slice(7, 9), ['--settings', '{"skipWebFetchPreflight":true}']);
  // WebSearch runs on Anthropic's servers only; WebFetch fetches what the person asked for.
  assert.ok(!TOOLS.split(',').includes('WebSearch'));
  assert.ok(TOOLS.split(',').includes('WebFetch'));
});

test('a real key in the caller\'s environment is replaced by the dummy token', () => {
  const env = childEnv(plan, { ANTHROPIC_API_KEY: 'sk-ant-api03-real', ANTHROPIC_AUTH_TOKEN: 'sk-ant-oat-real', PATH: '/bin' });
  assert.equal(env.ANTHROPIC_API_KEY, undefined);
  assert.equal(env.ANTHROPIC_AUTH_TOKEN, 'not-needed');
  assert.equal(env.PATH, '/bin');
});

const compact: Array<[number, { window: number; pct: number }]> = [[32768, { window: 100000, pct: 85 }], [16384, { window: 100000, pct: 85 }], [200000, { window: 200000, pct: 85 }]];
for (const [ctx, expected] of compact) {
  test(`Claude Code compacts near 85% of a ${ctx}-token window`, () => assert.deepEqual(compactSettings(ctx), expected));
}

test('the warm-path script and the printed command survive quotes and spaces', () => {
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  const script = attachScript(plan);
  assert.match(script, /^unset ANTHROPIC_API_KEY$/m);
  assert.match(script, /^export ANTHROPIC_AUTH_TOKEN='not-needed'$/m);
  assert.match(script, /^set -- '--strict-mcp-config' .* "\$@"$/m);
  assert.match(script, /This local model'\\''s output is token-capped/);
  assert.match(connectCommand(plan), /^env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN -u CLAUDE_CODE_OAUTH_TOKEN .* -u CLAUDE_CODE_USE_BEDROCK .*\\\n/);
});

const flags: Array<[string[], string | undefined]> = [
  [[], undefined], [['--gemma'], 'gemma'], [['--gemma', '--coder'], 'coder'], [['--light'], 'light'],
  [['--model', 'org/x', '--qwen3'], 'qwen3'], [['--coder', '--model', 'org/x'], 'org/x'], [['--model=org/y'], 'org/y'], [['--safe', '--out-tokens', '9'], undefined],
];
for (const [argv, model] of flags) test(`flags ${JSON.stringify(argv)} choose ${model ?? 'no model'}`, () => assert.equal(modelFromFlags(argv), model));
