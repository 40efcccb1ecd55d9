// Claude Code's credentials in an environment: one list, used where cclocal starts claude (the
// client removes them) and where the daemon starts an engine (it never inherits them: a third-party
// stack that reaches the network; issue 11, item 9). Pure.

/**
 * Credentials Claude Code reads (https://code.claude.com/docs/en/env-vars, and the names 2.1.332
 * reads): Anthropic keys and tokens, headers that may carry one, the passphrase of its client TLS
 * key, and the keys of the clouds it can send a session to.
 */
export const CREDENTIAL_VARS: readonly string[] = [
  'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_CUSTOM_HEADERS',
  'CLAUDE_CODE_OAUTH_REFRESH_TOKEN', 'CLAUDE_CODE_SESSION_ACCESS_TOKEN', 'CLAUDE_CODE_CLIENT_KEY_PASSPHRASE',
  'AWS_BEARER_TOKEN_BEDROCK', 'ANTHROPIC_FOUNDRY_API_KEY',
];

/** Claude Code's own namespaces: an engine reads nothing there, and new credentials appear there first. */
const CLAUDE_NAMESPACE = /^(ANTHROPIC_|CLAUDE_CODE_)/;

/** The environment an engine may inherit: no credential of Claude Code's and nothing of its namespace. */
export function engineSafeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !CREDENTIAL_VARS.includes(k) && !CLAUDE_NAMESPACE.test(k)) out[k] = v;
  }
  return out;
}
