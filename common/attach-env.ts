// Claude Code's environment and flags for a local model, as one table (the seed's run.sh fixes,
// pointed at the daemon's endpoint). Pure; used by the client and by the daemon's warm-path file.
import { CREDENTIAL_VARS } from './credential-env.js';

/**
 * The built-in tools: no plugin or MCP tools flood a small model (seed #9). Not WebSearch: it is
 * a server-side tool of Anthropic's API (the search runs there), which a local engine cannot run.
 * WebFetch stays: fetching the page the person asked for is the one thing that should leave.
 */
export const TOOLS = 'Bash,Read,Edit,Write,Glob,Grep,WebFetch';

/**
 * Claude Code's settings for an offline session (`--settings`, which applies on top of the
 * person's own files): WebFetch otherwise asks api.anthropic.com about each domain first, which
 * fails offline ("Unable to verify if domain … is safe to fetch") and tells Anthropic the host.
 */
export const OFFLINE_SETTINGS = JSON.stringify({ skipWebFetchPreflight: true });

/** Tells the model to write big files in parts: one oversized tool call is truncated and lost (seed #18). */
export const WRITE_IN_PARTS =
  'When creating or substantially editing a file longer than ~150 lines, do NOT emit it in a single Write/Edit tool call. First create the file with an initial section, then append each remaining section with separate, smaller Write/Edit calls. This local model\'s output is token-capped; an oversized single tool call is truncated and silently dropped.';

export const DEFAULT_OUT_TOKENS = 8192;
/** Matches vllm-mlx's --timeout 1800: Claude Code's own defaults give up on a long local prefill. */
export const CLIENT_TIMEOUT_MS = 1_800_000;
/** The window Claude Code's auto-compact clamps to at least (seen in 2.1.x). */
const COMPACT_WINDOW_FLOOR = 100_000;
/** Compact at 85% of the real window, as the seed does with CLAUDE_CODE_MAX_CONTEXT_TOKENS. */
const COMPACT_AT = 0.85;

export interface AttachInput {
  endpointUrl: string;
  model: string;
  contextWindow: number;
  outTokens: number;
  mcpConfigPath: string;
}

export interface AttachPlan {
  /** Removed from the caller's environment first: a real key must never reach a local server. */
  unset: string[];
  env: Record<string, string>;
  args: string[];
}

/**
 * Compaction. Claude Code is told the window (CLAUDE_CODE_MAX_CONTEXT_TOKENS, below), and the pair
 * here asks it to compact at 85% of it; a percentage can only lower Claude Code's own threshold.
 * The auto-compact window is clamped to at least 100,000 by Claude Code and capped at the model's
 * window. Measured (scripts/compact-experiment.ts pct, 2K-token reads): 2.1.332 and 2.1.197 both
 * compact at about 20K on a 32K window, and at 8-14K on 16K. A percentage scaled to the clamped
 * 100,000 (27% for 32K), as before the window was told, now lowers 2.1.332's threshold to 27% of
 * the real window (8.8K), and a session thrashes.
 */
export function compactSettings(contextWindow: number): { window: number; pct: number } {
  return { window: Math.max(COMPACT_WINDOW_FLOOR, contextWindow), pct: Math.round(COMPACT_AT * 100) };
}

/**
 * Removed from the caller's environment: credentials that must never reach a local server (the
 * endpoint strips headers too, but claude should not hold them), and the provider switches that
 * take precedence over ANTHROPIC_BASE_URL and would send the session to a cloud.
 */
export const CALLER_VARS_REMOVED = [
  ...CREDENTIAL_VARS,
  'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY',
];

export function attachPlan(i: AttachInput): AttachPlan {
  const compact = compactSettings(i.contextWindow);
  return {
    unset: CALLER_VARS_REMOVED,
    env: {
      ANTHROPIC_BASE_URL: i.endpointUrl,
      // A token, not ANTHROPIC_API_KEY: a fresh Claude Code asks about a "custom API key" with No preselected.
      ANTHROPIC_AUTH_TOKEN: 'not-needed',
      ANTHROPIC_MODEL: i.model,
      ANTHROPIC_DEFAULT_OPUS_MODEL: i.model,
      ANTHROPIC_DEFAULT_SONNET_MODEL: i.model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: i.model,
      CLAUDE_CODE_SUBAGENT_MODEL: i.model,
      CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(i.outTokens),
      API_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      API_FORCE_IDLE_TIMEOUT: '0',
      CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      // The event-level watchdog (no parsed SSE event for 300 s by default); the endpoint's pings
      // keep it quiet, and this lets a stream the engine itself keeps alive run as long.
      CLAUDE_STREAM_IDLE_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      CLAUDE_CODE_ATTRIBUTION_HEADER: '0',
      DISABLE_PROMPT_CACHING: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
      // The umbrella switch: no feature-flag fetches, update checks or reports to Anthropic.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_EFFORT_LEVEL: 'low',
      // The documented way to give a gateway model its window (model-config, "Correct the window
      // for a gateway or custom model id"; it applies to ids that do not start with claude-, as
      // ours): no "assumes a context window of 1m tokens" warning. Claude Code's window holds the
      // answer too and it reserves the answer budget from it, so the prompt room it keeps is the
      // daemon's window. Measured (scripts/compact-experiment.ts window): 2.1.332 then compacts in
      // time on 32K and 16K; 2.1.197 refuses every prompt on 16K ("Prompt is too long") when told
      // the prompt window alone, and compacts in time when told this.
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: String(i.contextWindow + i.outTokens),
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(compact.window),
      CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: String(compact.pct),
    },
    args: [
      '--strict-mcp-config', '--mcp-config', i.mcpConfigPath,
      '--tools', TOOLS,
      // Pre-approved, so auto mode never asks its safety-classifier model (too slow on a serialized local model).
      '--allowedTools', TOOLS,
      '--settings', OFFLINE_SETTINGS,
      '--append-system-prompt', WRITE_IN_PARTS,
    ],
  };
}

/** POSIX-shell single quoting. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The plan as a script the `cclocal` launcher sources before `exec claude "$@"` (the warm path). */
export function attachScript(plan: AttachPlan): string {
  const lines = ['# written by cclocald while the engine is ready; removed when it is not'];
  for (const k of plan.unset) lines.push(`unset ${k}`);
  for (const [k, v] of Object.entries(plan.env)) lines.push(`export ${k}=${shQuote(v)}`);
  lines.push(`set -- ${plan.args.map(shQuote).join(' ')} "$@"`);
  return lines.join('\n') + '\n';
}
