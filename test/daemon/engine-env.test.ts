// What the engine is given: a loopback host said out loud, and none of Claude Code's credentials
// (issue 11, items 9 and 13), read from the stand-in engine's own record of its argv and env.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CREDENTIAL_VARS } from '../../common/credential-env.js';
import { loadConfig } from '../../daemon/config.js';
import { ENGINE_KINDS } from '../../daemon/engine/kinds.js';
import { makeHome, recorded, startDaemon } from '../helpers/daemon.js';
import { waitForRecord } from '../helpers/record-wait.js';
import { tempDir } from '../helpers/temp-home.js';

const LEAKED = {
  CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-LEAKED',
  ANTHROPIC_CUSTOM_HEADERS: 'x-proxy-auth: LEAKED',
  ANTHROPIC_API_KEY: 'sk-ant-api03-LEAKED',
  CLAUDE_CODE_SESSION_ACCESS_TOKEN: 'LEAKED',
  AWS_BEARER_TOKEN_BEDROCK: 'LEAKED',
  ANTHROPIC_FOUNDRY_API_KEY: 'LEAKED',
  ANTHROPIC_BASE_URL: 'https://gateway.example', // not a credential, but nothing an engine reads
};

test('the engine is told to listen on 127.0.0.1, and listens there, instead of its own 0.0.0.0 default', async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  const loaded = await d.rpc.request('load', { model: 'gemma-light' });
  const start = recorded(home).find((r) => r.event === 'start')!;
  const argv = start.argv as string[];
  assert.deepEqual(argv.slice(argv.indexOf('--host'), argv.indexOf('--host') + 2), ['--host', '127.0.0.1']);
  const lines = await waitForRecord(home, (l) => l.some((r) => r.event === 'listening'), 'the engine to listen');
  const listening = lines.find((r) => r.event === 'listening')!;
  assert.equal(listening.address, '127.0.0.1');
  assert.equal(String(listening.port), new URL(loaded.url).port);
});

test("a daemon started with Claude Code's credentials in its environment gives the engine none of them", async (t) => {
  const home = makeHome(t, { env: { ...LEAKED, HF_TOKEN: 'hf_kept' } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const start = recorded(home).find((r) => r.event === 'start')!;
  assert.deepEqual(start.env, { VLLM_MLX_ENABLE_THINKING: 'false', VLLM_MLX_SIMPLE_ENGINE_LOCK_ADMISSION: 'wait' });
});

test("every engine kind's environment is built without Claude Code's credentials", (t) => {
  const dir = tempDir(t);
  const all = Object.fromEntries(CREDENTIAL_VARS.map((k) => [k, 'LEAKED']));
  const cfg = loadConfig({ ...all, ...LEAKED, CLAUDE_CODE_CLIENT_KEY_PASSPHRASE: 'LEAKED', HF_TOKEN: 'hf_kept', CCLOCAL_HOME: join(dir, 'h'), HOME: dir, PATH: '/bin' });
  for (const kind of Object.values(ENGINE_KINDS)) {
    const env = kind.engineEnv(cfg.engineBaseEnv);
    assert.deepEqual(Object.keys(env).filter((k) => env[k] === 'LEAKED' || /^(ANTHROPIC_|CLAUDE_CODE_)/.test(k)), [], kind.name);
    assert.equal(env.HF_TOKEN, 'hf_kept', `${kind.name} still gets the Hugging Face token for downloads`);
  }
});
