// Runs Claude Code against the daemon's endpoint with the seed's environment and flags, and
// behaves like `claude` run directly: same terminal, Ctrl-C reaches claude, its exit status is ours.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { attachPlan, shQuote, type AttachPlan } from '../daemon/protocol/attach-env.js';
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

/** Spawns claude and resolves with the exit code to use (128+n when it died of signal n). */
export function runClaude(bin: string, plan: AttachPlan, claudeArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...plan.args, ...claudeArgs], { stdio: 'inherit', env: childEnv(plan, env) });
    // The terminal sends Ctrl-C to claude directly (same process group); we only stay alive for it.
    const ignore = () => undefined;
    const forward = (sig: NodeJS.Signals) => () => { child.kill(sig); };
    const handlers: Array<[NodeJS.Signals, () => void]> = [['SIGINT', ignore], ['SIGQUIT', ignore], ['SIGTERM', forward('SIGTERM')], ['SIGHUP', forward('SIGHUP')]];
    for (const [s, h] of handlers) process.on(s, h);
    child.once('error', (err) => reject(new ClientError(`could not start ${bin}: ${err.message}`, CLAUDE_INSTALL_HINT)));
    child.once('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) {
        const n = { SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1 }[signal as string] ?? 1;
        resolve(128 + n);
      } else {
        resolve(code ?? 1);
      }
    });
  });
}
