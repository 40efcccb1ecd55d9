// Which Claude Code settings make it compact before a 32K or 16K engine window overflows?
// Runs the real CLI (node_modules/.bin/claude) against a daemon with the stand-in engine, whose
// scripted "model" reads a ~20 KB file again and again, and reports the prompt size (tokens ≈
// bytes/4) of each request and which request was a compaction. The daemon's own window is set
// huge so that only Claude Code's proactive compaction is measured.
// Usage: npm run build && node --import tsx scripts/compact-experiment.ts [proactive|turns|reactive|one|pct-only|interactive|window]
// CCLOCAL_CLAUDE_BIN=/path/to/claude measures another release.
// KEEP=1 keeps each run's folder: Claude Code's own verdicts are in <dir>/uh/.claude/debug/*.txt
// ("autocompact: tokens=… level=ok|warn|compact effectiveWindow=…").
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, planFor } from '../client/attach.js';
import { homePaths } from '../daemon/protocol/paths.js';
import { FAKE_ENGINE, FIXTURE_BIN, ROOT } from '../test/helpers/daemon.js';
import { loadedLabDaemon } from './lab-daemon.js';

const CLAUDE = process.env.CCLOCAL_CLAUDE_BIN || join(ROOT, 'node_modules', '.bin', 'claude');
const STEPS = Number(process.env.STEPS ?? 14);
/** Prompts typed in an interactive run (each replays the STEPS reads). */
const PROMPTS = Number(process.env.PROMPTS ?? 1);

async function run(window: number, reportUsage: boolean, extra: Record<string, string>, label: string, enforce = false, turns = 1, interactive = false): Promise<void> {
  const dir = mkdtempSync('/tmp/cclx-');
  const paths = homePaths(join(dir, 'h'));
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'hf'));
  mkdirSync(join(dir, 'uh'));
  writeFileSync(paths.config, JSON.stringify({ notify: false, healthPollMs: 20, defaultContextWindow: enforce ? window : 1_000_000 }));
  const big = join(dir, 'big.txt');
  writeFileSync(big, Array.from({ length: Number(process.env.LINES ?? 400) }, (_, i) => `line ${i}: ${'lorem ipsum dolor sit amet '.repeat(2)}`).join('\n'));
  const record = join(dir, 'rec.jsonl');
  const env: NodeJS.ProcessEnv = {
    PATH: `${FIXTURE_BIN}:${process.env.PATH}`, HOME: join(dir, 'uh'), CCLOCAL_HOME: paths.home, CCLOCAL_ENGINE: 'vllm-mlx', CCLOCAL_ENGINE_BIN: FAKE_ENGINE,
    HF_HUB_CACHE: join(dir, 'hf'), CCLOCAL_PORT: String(21000 + (process.pid % 5000)), FAKE_VLLM_RECORD: record,
    FAKE_VLLM_SCRIPT: JSON.stringify(Array.from({ length: STEPS }, (_, i) => ({ name: 'Bash', input: { command: `cat ${big} # pass ${i}`, description: 'read it' } }))),
    FAKE_VLLM_REPORT_INPUT_TOKENS: reportUsage ? '1' : '0', FAKE_VLLM_RECORD_BODIES: process.env.RECORD_BODIES ?? '0',
  };
  try {
    const { loaded, status } = await loadedLabDaemon(paths, env);
    const plan = planFor(status.endpoint.url, loaded.model, window, 8192);
    const cenv = { ...childEnv(plan, env), ...extra };
    for (const k of Object.keys(extra)) if (extra[k] === '') delete cenv[k];
    if (interactive) await driveInteractive(dir, cenv, plan.args, record);
    // One prompt, or several with --continue: Claude Code may decide on compaction between turns.
    for (let turn = 0; turn < (interactive ? 0 : turns); turn++) {
      if (process.env.KEEP) console.log(`   home: ${dir}`);
      const r = spawnSync(CLAUDE, [...plan.args, '--allowedTools', 'Bash', '--debug', ...(turn ? ['--continue'] : []), '-p', `read the file many times (turn ${turn})`], { env: cenv, cwd: dir, encoding: 'utf8', timeout: 180_000 });
      // Claude Code's own debug line: "autocompact: tokens=N level=L effectiveWindow=W".
      for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) if (line.includes('autocompact:') && process.env.SHOW_DEBUG) console.log(`   ${line.trim()}`);
      if (process.env.SHOW_OUTPUT) console.log(`   exit ${r.status}: ${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-4).join('\n   ')}`);
      if (r.stderr.includes('assumes a context window')) console.log(`   warning: ${r.stderr.split('\n').find((l) => l.includes('assumes a context window'))}`);
    }
    const reqs = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === 'request' && (r.tools as string[]).length >= 0);
    const rejected = readFileSync(paths.daemonLog, 'utf8').split('\n').filter((l) => l.includes('"status":400')).length;
    const sizes = reqs.map((r) => {
      const k = Math.round((r.bytes as number) / 4 / 1000);
      const compact = /summar|TEXT ONLY/i.test(String(r.lastUser));
      return `${k}K${compact ? '(COMPACT)' : ''}`;
    });
    console.log(`${label}${interactive ? ' (interactive, in tmux)' : turns > 1 ? ` (${turns} turns with --continue)` : ''} window ${window}, usage ${reportUsage ? 'reported' : 'zero (vllm-mlx)'}${enforce ? ', enforced by the endpoint' : ''}: ${sizes.join(' ')}; ${rejected} answered "prompt is too long"`);
  } finally {
    spawnSync(process.execPath, [join(ROOT, 'dist', 'daemon', 'main.js'), 'stop'], { env, stdio: 'ignore' });
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real interactive session: claude in a tmux terminal, its first-run screens answered by a
 * seeded ~/.claude.json, one prompt typed; returns when the scripted model has finished its tool
 * loop (the stand-in answers the text "done" after the last step) or after a deadline.
 */
async function driveInteractive(dir: string, env: NodeJS.ProcessEnv, args: string[], record: string): Promise<void> {
  writeFileSync(join(dir, 'uh', '.claude.json'), JSON.stringify({
    hasCompletedOnboarding: true, theme: 'dark', numStartups: 5, bypassPermissionsModeAccepted: true,
    projects: { [dir]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
  }));
  const session = `cclx${process.pid}`;
  const q = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
  const cmd = `cd ${q(dir)} && env ${Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${q(String(v))}`).join(' ')} ${q(CLAUDE)} ${[...args, '--allowedTools', 'Bash', '--debug'].map(q).join(' ')}`;
  spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd]);
  const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
  const until = async (ok: () => boolean, ms: number) => { const end = Date.now() + ms; while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 200)); return ok(); };
  try {
    if (!(await until(() => /❯/.test(screen()), 30_000))) { console.log(`   no prompt appeared:\n${screen()}`); return; }
    const requests = () => { try { return readFileSync(record, 'utf8').split('\n').filter((l) => l.includes('"event":"request"')).length; } catch { return 0; } };
    // Several prompts, as a person works: each replays the scripted reads.
    for (let prompt = 0; prompt < PROMPTS; prompt++) {
      spawnSync('tmux', ['send-keys', '-t', session, '-l', `read the file again (prompt ${prompt})`]);
      spawnSync('tmux', ['send-keys', '-t', session, 'Enter']);
      let last = -1;
      // A prompt is done when no new request has come for 8 s (its loop has ended or is stuck).
      while (requests() !== last) { last = requests(); await until(() => requests() !== last, 8_000); }
    }
    // MANUAL_COMPACT=1: then the person types /compact, as the README suggests.
    if (process.env.MANUAL_COMPACT) {
      spawnSync('tmux', ['send-keys', '-t', session, '-l', '/compact']);
      spawnSync('tmux', ['send-keys', '-t', session, 'Enter']);
      let last = -1;
      while (requests() !== last) { last = requests(); await until(() => requests() !== last, 8_000); }
    }
    if (process.env.SHOW_SCREEN) console.log(screen());
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
}

const only = process.argv[2];
if (only === 'interactive') {
  for (const window of [32768, 16384]) for (const usage of [false, true]) if (!process.env.ONE || (window === 32768 && !usage)) await run(window, usage, {}, 'cclocal env', false, 1, true);
  // The window alone: the threshold then comes from Claude Code's own table, not from the env.
  await run(32768, true, { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '' }, 'window 100000 only', false, 1, true);
}
if (!only || only === 'proactive') {
  for (const window of [32768, 16384]) for (const usage of [false, true]) await run(window, usage, {}, 'cclocal env');
  await run(32768, true, { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '', CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '' }, 'no compact env');
  await run(32768, true, { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '32768', CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '85' }, 'window 32768 pct 85');
}
if (!only || only === 'turns') {
  for (const window of [32768, 16384]) for (const usage of [false, true]) await run(window, usage, {}, 'cclocal env', false, 4);
}
// Which of the window settings the current CLI needs: the documented CLAUDE_CODE_MAX_CONTEXT_TOKENS,
// the compaction pair, or both (cclocal's).
if (only === 'window') {
  for (const window of [32768, 16384]) {
    await run(window, true, {}, 'cclocal env (window + compaction pair)');
    await run(window, true, { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '' }, 'compaction pair only');
    await run(window, true, { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '', CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '' }, 'CLAUDE_CODE_MAX_CONTEXT_TOKENS only');
  }
}
if (only === 'pct') {
  const w = Number(process.env.WINDOW ?? 32768);
  for (const pct of (process.env.PCTS ?? '85,50').split(',')) await run(w, true, { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: pct }, `window told, pct ${pct}`);
  for (const pct of (process.env.PCTS ?? '85,50').split(',')) await run(w, true, { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: pct, CLAUDE_CODE_AUTO_COMPACT_WINDOW: '' }, `window told, pct ${pct}, no auto-compact window`);
  await run(w, true, { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '', CLAUDE_CODE_AUTO_COMPACT_WINDOW: '' }, 'window told, no compaction pair');
}
if (only === 'one') await run(Number(process.env.WINDOW ?? 16384), true, {}, 'cclocal env', false, Number(process.env.TURNS ?? 3));
// The percentage alone, against Claude Code's default window (no CLAUDE_CODE_AUTO_COMPACT_WINDOW).
if (only === 'pct-only') {
  for (const [window, pct] of [[32768, '13'], [16384, '6']] as const) {
    for (const usage of [false, true]) await run(window, usage, { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '', CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: pct }, `pct ${pct} only`);
  }
}
if (!only || only === 'reactive') {
  for (const window of [32768, 16384]) for (const usage of [false, true]) await run(window, usage, {}, 'cclocal env', true);
}
