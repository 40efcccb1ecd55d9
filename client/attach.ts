// Runs Claude Code against the daemon's endpoint with the seed's environment and flags, and
// behaves like `claude` run directly: same terminal, Ctrl-C reaches claude, its exit status is ours.
import { execFile, spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { attachPlan, shQuote, type AttachPlan } from '../common/attach-env.js';
import { CLAUDE_INSTALL_HINT, locateClaude } from '../common/claude-bin.js';
import { connectDaemon, type DaemonClient } from '../daemon/protocol/connect.js';
import { packageFile } from '../daemon/protocol/paths.js';
import type { StatusResult } from '../daemon/protocol/protocol.js';
import { ClientError } from './ensure-daemon.js';

export { CLAUDE_INSTALL_HINT };

/** CCLOCAL_CLAUDE_BIN, else `claude` on PATH. */
export function findClaude(env: NodeJS.ProcessEnv): string {
  const c = locateClaude(env);
  if (c.found) return c.bin;
  throw new ClientError(`Claude Code CLI not found (${c.wanted})`, CLAUDE_INSTALL_HINT);
}

export function planFor(endpointUrl: string, model: string, contextWindow: number, outTokens: number): AttachPlan {
  return attachPlan({ endpointUrl, model, contextWindow, outTokens, mcpConfigPath: packageFile('mcp-local.json') });
}

export function childEnv(plan: AttachPlan, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const k of plan.unset) delete out[k];
  return { ...out, ...plan.env };
}

/** The command a person can paste into another terminal (`--server`). */
export function connectCommand(plan: AttachPlan): string {
  const lines = [`env ${plan.unset.map((k) => `-u ${k}`).join(' ')} \\`];
  for (const [k, v] of Object.entries(plan.env)) lines.push(`  ${k}=${shQuote(v)} \\`);
  lines.push(`  claude ${plan.args.map(shQuote).join(' ')}`);
  return lines.join('\n');
}

/** How claude ended: its exit code, or the signal that killed it. */
export type ClaudeExit = { code: number } | { signal: NodeJS.Signals };

/** Spawns claude and resolves with how it ended. */
export function runClaude(bin: string, plan: AttachPlan, claudeArgs: string[], env: NodeJS.ProcessEnv): Promise<ClaudeExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...plan.args, ...claudeArgs], { stdio: 'inherit', env: childEnv(plan, env) });
    // From a terminal, Ctrl-C reaches claude directly (same process group): forwarding it too
    // would be a second Ctrl-C, which makes claude quit. Without a terminal a SIGINT is meant for
    // cclocal alone (a script, `timeout -s INT`), so it is passed on.
    const ignore = () => undefined;
    const forward = (sig: NodeJS.Signals) => () => { child.kill(sig); };
    const fromTerminal = process.stdin.isTTY === true;
    const handlers: Array<[NodeJS.Signals, () => void]> = [
      ['SIGINT', fromTerminal ? ignore : forward('SIGINT')], ['SIGQUIT', fromTerminal ? ignore : forward('SIGQUIT')],
      ['SIGTERM', forward('SIGTERM')], ['SIGHUP', forward('SIGHUP')],
    ];
    for (const [s, h] of handlers) process.on(s, h);
    child.once('error', (err) => reject(new ClientError(`could not start ${bin}: ${err.message}`, CLAUDE_INSTALL_HINT)));
    child.once('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(signal ? { signal } : { code: code ?? 1 });
    });
  });
}

/** Ends cclocal the way claude ended: a signal death is re-raised so the shell sees the same. */
export function exitLikeClaude(exit: ClaudeExit): number {
  if ('code' in exit) return exit.code;
  try { process.kill(process.pid, exit.signal); } catch { /* not a signal we may raise */ }
  // Still here (a signal this process ignores, e.g. SIGINT under a shell's job control): 128 + n.
  return 128 + (osConstants.signals[exit.signal] ?? 1);
}

/** Claude Code's own options (2.1.332's `claude --help`). Given to cclocal without `--`, they get
 *  the hint below, even where commander would suggest a cclocal option that looks alike
 *  (`--safe-mode` is not `--safe`). */
const CLAUDE_OPTIONS = new Set([
  '-p', '--print', '-c', '--continue', '-r', '--resume', '-d', '--debug', '-n', '--name', '-w', '--worktree', '-v',
  '--add-dir', '--agent', '--agents', '--allow-dangerously-skip-permissions', '--allowedTools', '--allowed-tools',
  '--append-system-prompt', '--bare', '--betas', '--dangerously-skip-permissions', '--debug-file', '--disallowedTools',
  '--disallowed-tools', '--effort', '--fallback-model', '--fork-session', '--ide', '--include-partial-messages',
  '--input-format', '--json-schema', '--max-budget-usd', '--mcp-config', '--no-session-persistence', '--output-format',
  '--permission-mode', '--permission-prompt-tool', '--plugin-dir', '--replay-user-messages', '--safe-mode',
  '--session-id', '--setting-sources', '--settings', '--strict-mcp-config', '--system-prompt', '--tools', '--verbose',
]);

export function isClaudeOption(arg: string): boolean {
  return CLAUDE_OPTIONS.has(arg.split('=')[0]!);
}

/** A word as a person would type it in a shell: quoted only when it must be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : shQuote(s);
}

/**
 * The command that was meant: cclocal's own options (and their values) before `--`, everything
 * else after it, in order, followed by what already came after a `--`.
 */
export function withClaudeArgsAfterDashes(ours: readonly string[], claudeArgs: readonly string[], ourOption: (name: string) => { takesValue: boolean } | null): string {
  const keep: string[] = [];
  const theirs: string[] = [];
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]!;
    const o = a.startsWith('-') ? ourOption(a.startsWith('--') ? a.split('=')[0]! : a) : null;
    if (!o) { theirs.push(a); continue; }
    keep.push(a);
    if (o.takesValue && !a.includes('=') && i + 1 < ours.length) keep.push(ours[++i]!);
  }
  return ['cclocal', ...keep, '--', ...theirs, ...claudeArgs].map(shellWord).join(' ');
}

const GiB = 1024 ** 3;

/** A process's resident memory in bytes: `ps -o rss=` (KiB on macOS and on Linux), or null. */
export function residentBytes(pid: number, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    try {
      execFile('ps', ['-o', 'rss=', '-p', String(pid)], { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout) => {
        const kib = Number(stdout.trim());
        resolve(!err && Number.isFinite(kib) && kib > 0 ? kib * 1024 : null);
      });
    } catch {
      resolve(null);
    }
  });
}

function memoryText(gb: number): string {
  return gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.max(1, Math.round(gb * 1024))} MB`;
}

/**
 * What is said once Claude Code exits: the model stays loaded (by design), what it holds, and how
 * to free it. The engine's own figure where it reports one (vllm-mlx's active Metal memory), else
 * the engine process's resident memory, else none. Nothing for a remote engine (no memory here
 * holds it) or an engine that is not ready.
 */
export function warmNote(engine: StatusResult['engine'], rssBytes: number | null): string | null {
  if (engine.kind === 'remote' || engine.state !== 'ready' || !engine.model) return null;
  const gb = engine.memory?.activeGB || (rssBytes ? rssBytes / GiB : null);
  return `cclocald keeps ${engine.model} warm${gb ? ` (${memoryText(gb)})` : ''}; free it with: cclocald unload`;
}

/** warmNote as the daemon has it now, on a fresh connection (the one of the attach was closed
 *  before claude ran); null when the daemon does not answer in time. */
export async function warmNoteNow(socket: string, timeoutMs = 2000): Promise<string | null> {
  let client: DaemonClient | undefined;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
  const ask = (async () => {
    const c = await connectDaemon(socket);
    if (done) { c.close(); return null; }
    client = c;
    const { engine } = await c.request('status');
    const rss = engine.memory?.activeGB || engine.kind === 'remote' || !engine.pid ? null : await residentBytes(engine.pid);
    return warmNote(engine, rss);
  })().catch(() => null);
  try {
    return await Promise.race([ask, late]);
  } finally {
    done = true;
    clearTimeout(timer);
    client?.close();
  }
}
