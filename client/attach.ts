// Runs Claude Code against the daemon's endpoint with the seed's environment and flags, and
// behaves like `claude` run directly: same terminal, Ctrl-C reaches claude, its exit status is ours.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { attachPlan, shQuote, type AttachPlan } from '../common/attach-env.js';
import { packageFile } from '../daemon/protocol/paths.js';
import { ClientError } from './ensure-daemon.js';

export const CLAUDE_INSTALL_HINT = 'install it with: npm install -g @anthropic-ai/claude-code (https://docs.anthropic.com/en/docs/claude-code)';

/** CCLOCAL_CLAUDE_BIN, else `claude` on PATH. */
export function findClaude(env: NodeJS.ProcessEnv): string {
  const wanted = env.CCLOCAL_CLAUDE_BIN || 'claude';
  const candidates = wanted.includes('/') ? [wanted] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, wanted));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) { accessSync(c, constants.X_OK); return c; }
    } catch { /* next */ }
  }
  throw new ClientError(`Claude Code CLI not found (${wanted})`, CLAUDE_INSTALL_HINT);
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
