// The package version, and `cclocald --version` (which `cclocal --version` runs too): this
// version, the Claude Code and the engine this machine has, as the daemon would find them, and the
// daemon running now. No daemon is needed. Each program asked for its version gets a few seconds:
// one that hangs must not hang this.
import { readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLAUDE_INSTALL_HINT, locateClaude } from '../common/claude-bin.js';
import { homeProblem } from '../common/home-safety.js';
import { packageVersion } from '../common/version.js';
import { loadConfig, type Config } from './config.js';
import { engineKind } from './engine/kinds.js';
import { runCommand } from './platform/exec.js';
import { connectDaemon, DaemonUnavailableError, type DaemonClient } from './protocol/connect.js';
import { homeDir, homePaths } from './protocol/paths.js';
import { lookupEngine } from './supervisor/launch-plan.js';

export const VERSION = packageVersion();

/** How long a program may take to print its version (and the daemon to answer). */
export const VERSION_PROBE_MS = 3000;

/** `claude --version`: `2.1.332 (Claude Code)` → 2.1.332. */
export function claudeVersionFrom(out: string): string | null {
  return /(\d+\.\d+\.\d+[\w.+-]*)\s*\(Claude Code\)/.exec(out)?.[1] ?? looseVersionFrom(out);
}

/** What llama-server's --version says after `version:`. llama.cpp has printed `version: 6123
 *  (abc1234)` (build number, commit; its releases are tagged b<build>) and, in newer builds,
 *  `version: 0.4.0-dev (build 1, commit 80fb11a)`. A build from outside a git checkout says
 *  `version: 0 (unknown)`: no version. */
export function llamaVersionFrom(out: string): string | null {
  const text = /version:\s*([^\n]+)/.exec(out)?.[1]?.trim();
  if (!text) return null;
  const classic = /^(\d+)\s*\(([^)]*)\)$/.exec(text);
  if (classic) {
    const parts = [Number(classic[1]) > 0 ? `b${classic[1]}` : '', classic[2] && classic[2] !== 'unknown' ? `commit ${classic[2]}` : ''].filter(Boolean);
    return parts.length ? parts.join(', ') : null;
  }
  // Any other shape as printed, its parenthesis as a list: `0.4.0-dev, build 1, commit 80fb11a`.
  return text.replace(/\s*\((.*)\)$/, ', $1').replace(/[^\x20-\x7e]/g, '').slice(0, 120) || null;
}

/** The first x.y.z a program printed. */
export function looseVersionFrom(out: string): string | null {
  return /\b(\d+\.\d+\.\d+[\w.+-]*)/.exec(out)?.[1] ?? null;
}

/** vllm-mlx has no --version; pip leaves `vllm_mlx-<version>.dist-info` in the environment whose
 *  bin/ holds the executable (./install.sh's .venv, a pipx venv behind a symlink). */
export function vllmMlxInstalledVersion(bin: string): string | null {
  let env: string;
  try { env = dirname(dirname(realpathSync(bin))); } catch { return null; }
  let pythons: string[];
  try { pythons = readdirSync(join(env, 'lib')).filter((d) => d.startsWith('python')); } catch { return null; }
  for (const py of pythons) {
    let entries: string[];
    try { entries = readdirSync(join(env, 'lib', py, 'site-packages')); } catch { continue; }
    for (const e of entries) {
      const m = /^vllm_mlx-(.+)\.dist-info$/.exec(e);
      if (m) return m[1]!;
    }
  }
  return null;
}

interface Probe { version: string | null; why?: string }

/** Runs `bin args` with a deadline and reads a version from what it printed (either stream). */
export async function probeVersion(bin: string, args: string[], parse: (out: string) => string | null, o: { timeoutMs: number; env?: Record<string, string> }): Promise<Probe> {
  const started = Date.now();
  const r = await runCommand(bin, args, { timeoutMs: o.timeoutMs, ...(o.env ? { env: o.env } : {}) });
  const version = parse(`${r.stdout}\n${r.stderr}`);
  if (version) return { version };
  if (r.ok) return { version: null, why: `\`${args.join(' ')}\` printed no version` };
  if (!r.missing && r.exitCode === null && Date.now() - started >= o.timeoutMs) return { version: null, why: `\`${args.join(' ')}\` did not answer within ${o.timeoutMs / 1000} s` };
  return { version: null, why: `\`${args.join(' ')}\` failed: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}` };
}

function line(name: string, bin: string, p: Probe): string {
  return p.version ? `${name} ${p.version} (${bin})` : `${name}: version unknown (${bin}${p.why ? `; ${p.why}` : ''})`;
}

async function claudeLine(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const c = locateClaude(env);
  if (!c.found) return `Claude Code: not found (${c.wanted}${c.wanted.includes('/') ? '' : ' on PATH'}; ${CLAUDE_INSTALL_HINT})`;
  return line('Claude Code', c.bin, await probeVersion(c.bin, ['--version'], claudeVersionFrom, { timeoutMs }));
}

/** The engine the daemon would run for the next load: config.json's / CCLOCAL_ENGINE's kind, found
 *  the way a load finds it (CCLOCAL_ENGINE_BIN, ./install.sh's, PATH). */
async function engineLine(cfg: Config, timeoutMs: number): Promise<string> {
  if (cfg.engine === 'remote') {
    const n = cfg.remote?.urls.length ?? 0;
    return `engine: remote (${n} upstream${n === 1 ? '' : 's'} in ${cfg.paths.config})`;
  }
  const kind = engineKind(cfg.engine);
  const found = lookupEngine(cfg, kind);
  if (!found.found) return `${kind.name}: not found (${found.hint})`;
  const env = kind.engineEnv(cfg.engineBaseEnv);
  if (kind.name === 'vllm-mlx') {
    const installed = vllmMlxInstalledVersion(found.bin);
    if (installed) return line(kind.name, found.bin, { version: installed });
    return line(kind.name, found.bin, await probeVersion(found.bin, ['--version'], looseVersionFrom, { timeoutMs, env }));
  }
  return line(kind.name, found.bin, await probeVersion(found.bin, ['--version'], llamaVersionFrom, { timeoutMs, env }));
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The daemon of this CCLOCAL_HOME, when one answers: its pid, and its version when it is not this one. */
async function daemonLine(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  let client: DaemonClient | undefined;
  let done = false;
  try {
    const paths = homePaths(homeDir(env));
    // A socket in a home another user can change may be theirs: it is not asked (connect-home.ts).
    const unsafe = homeProblem(paths.home);
    if (unsafe) return `daemon: not asked: ${unsafe.reason}`;
    const connecting = connectDaemon(paths.socket);
    // A connection that comes after the deadline is closed at once: it must not keep this process.
    connecting.then((c) => { if (done) c.close(); else client = c; }, () => undefined);
    const s = await within(connecting.then((c) => c.request('status')), timeoutMs, 'cclocald');
    const pid = Number(s.daemon.pid);
    const version = String(s.daemon.version).replace(/[^\x20-\x7e]/g, '').slice(0, 40);
    if (version === VERSION) return `daemon: running, pid ${pid}`;
    return `daemon: running ${version}, pid ${pid}, not this ${VERSION}; run \`cclocald restart\` to start this one`;
  } catch (err) {
    if (err instanceof DaemonUnavailableError && err.kind !== 'refused-permission') return 'daemon: not running';
    return `daemon: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    done = true;
    client?.close();
  }
}

export async function versionLines(env: NodeJS.ProcessEnv = process.env, timeoutMs = VERSION_PROBE_MS): Promise<string[]> {
  let cfg: Config | null = null;
  let configProblem = '';
  try { cfg = loadConfig(env); } catch (err) { configProblem = err instanceof Error ? err.message : String(err); }
  const [claude, engine, daemon] = await Promise.all([
    claudeLine(env, timeoutMs),
    cfg ? engineLine(cfg, timeoutMs) : Promise.resolve(`engine: unknown (${configProblem})`),
    daemonLine(env, timeoutMs),
  ]);
  return [`cclocald ${VERSION}`, claude, engine, daemon];
}

export async function versionCommand(): Promise<number> {
  process.stdout.write(`${(await versionLines()).join('\n')}\n`);
  return 0;
}
