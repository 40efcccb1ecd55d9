// Spawns a real `cclocald run` (daemon/main.ts through tsx) in a temporary home, with the
// stand-in engine and the platform stand-ins first on PATH, and stops it after the test.
// Fails the test if a daemon or an engine outlives it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '../../common/process-alive.js';
import { waitForSocket } from '../../common/wait-for.js';
import { connectDaemon, type DaemonClient } from '../../daemon/protocol/connect.js';
import { homePaths, type HomePaths } from '../../daemon/protocol/paths.js';
import type { StatusResult } from '../../daemon/protocol/protocol.js';
import { EventLog } from './events.js';
import { onCleanup, tempDir } from './temp-home.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FIXTURE_BIN = join(ROOT, 'test', 'fixtures', 'bin');
export const FAKE_ENGINE = join(FIXTURE_BIN, 'vllm-mlx');
export const DAEMON_MAIN = join(ROOT, 'daemon', 'main.ts');
/** The Claude Code the end-to-end tests drive: the pinned devDependency (the current release), or
 *  any other installed release named by CCLOCAL_E2E_CLAUDE (a `claude` executable). */
export const CLAUDE_UNDER_TEST = process.env.CCLOCAL_E2E_CLAUDE || join(ROOT, 'node_modules', '.bin', 'claude');

/** Production tunables made fast; time-dependent policy itself is tested in the pure layer. */
export const FAST_CONFIG = {
  healthPollMs: 20,
  progressIntervalMs: 50,
  downloadQuietMs: 300,
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  stopGraceMs: 3000,
  memoryPollMs: 200,
};

export interface TestHome {
  dir: string;
  /** The daemon's endpoint port (CCLOCAL_PORT), free when the home was made. */
  port: number;
  paths: HomePaths;
  hfCache: string;
  record: string;
  pidsDir: string;
  env: NodeJS.ProcessEnv;
}

export function makeHome(t: TestContext, opts: { config?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {}): TestHome {
  const dir = tempDir(t);
  const paths = homePaths(join(dir, 'h'));
  mkdirSync(paths.home, { mode: 0o700 });
  writeFileSync(paths.config, JSON.stringify({ ...FAST_CONFIG, ...opts.config }));
  const hfCache = join(dir, 'hf');
  const pidsDir = join(dir, 'pids');
  const stateDir = join(dir, 'fake-state');
  const userHome = join(dir, 'userhome');
  const serviceState = join(dir, 'service-state');
  for (const d of [hfCache, pidsDir, stateDir, userHome, serviceState]) mkdirSync(d);
  const record = join(dir, 'record.jsonl');
  const port = freePortSync();
  const env: NodeJS.ProcessEnv = {
    PATH: `${FIXTURE_BIN}:${process.env.PATH}`,
    // A home of its own: no login service or Claude Code settings of the machine leak in.
    HOME: userHome,
    FAKE_SERVICE_STATE: serviceState,
    CCLOCAL_HOME: paths.home,
    // The stand-in is vllm-mlx's: name the kind, as Linux's default is llama-server.
    CCLOCAL_ENGINE: 'vllm-mlx',
    CCLOCAL_ENGINE_BIN: FAKE_ENGINE,
    CCLOCAL_PORT: String(port),
    HF_HUB_CACHE: hfCache,
    // The hub the daemon asks for a download's size: nothing listens there, so a test never
    // reaches huggingface.co (a test of the size lookup names its own stand-in hub).
    HF_ENDPOINT: 'http://127.0.0.1:9',
    CCLOCAL_TEST_RECORD: record,
    FAKE_VLLM_RECORD: record,
    FAKE_VLLM_PIDS_DIR: pidsDir,
    FAKE_VLLM_STATE_DIR: stateDir,
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return { dir, port, paths, hfCache, record, pidsDir, env };
}

/** A free loopback port, found by a throwaway process (makeHome stays synchronous). */
function freePortSync(): number {
  const r = spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/** Running: an exited process not yet reaped by whoever adopted it (a zombie) does not count. */
export const isAlive = isProcessAlive;

/** Pids of every stand-in engine started in this home that is still alive. */
export function liveEngines(home: TestHome): number[] {
  return readdirSync(home.pidsDir).map(Number).filter((pid) => isAlive(pid));
}

/** Lines the stand-ins recorded (engine starts, notify-send, osascript, sysctl calls). */
export function recorded(home: TestHome): Array<Record<string, unknown>> {
  if (!existsSync(home.record)) return [];
  return readFileSync(home.record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface RunningDaemon {
  home: TestHome;
  proc: ChildProcess;
  rpc: DaemonClient;
  events: EventLog;
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnDaemon(home: TestHome, args: string[] = ['run']): ChildProcess & { output(): string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', DAEMON_MAIN, ...args], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => { out += c; });
  proc.stderr!.on('data', (c) => { out += c; });
  return Object.assign(proc, { output: () => out });
}

export interface ProgramRun { code: number | null; stdout: string; stderr: string }

/** A program under test that has not finished by then is stuck: fail, do not stall the suite. */
const PROGRAM_DEADLINE_MS = 120_000;

/** Runs a program to completion, capturing its output; kills it and fails past the deadline. */
export async function runProgram(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<ProgramRun> {
  const proc = spawn(file, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => { stdout += c; });
  proc.stderr.on('data', (c) => { stderr += c; });
  const exited = once(proc, 'exit') as Promise<[number | null]>;
  const timeoutMs = opts.timeoutMs ?? PROGRAM_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs); });
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first === 'late') {
    try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone meanwhile */ }
    await exited;
    throw new Error(`${file} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  return { code: first[0], stdout, stderr };
}

/** Runs a cclocald admin command to completion. */
export function cclocald(home: TestHome, ...args: string[]): Promise<ProgramRun> {
  return runProgram(process.execPath, ['--import', 'tsx', DAEMON_MAIN, ...args], { env: home.env });
}

export async function startDaemon(t: TestContext, home: TestHome): Promise<RunningDaemon> {
  const proc = spawnDaemon(home);
  const exitedEarly = once(proc, 'exit').then(() => false);
  const up = await Promise.race([waitForSocket(home.paths.home, home.paths.socket, 20_000), exitedEarly]);
  if (!up) {
    proc.kill('SIGKILL');
    throw new Error(`cclocald did not start:\n${proc.output()}`);
  }
  const rpc = await connectDaemon(home.paths.socket);
  const events = new EventLog(rpc);
  const d: RunningDaemon = {
    home, proc, rpc, events, output: proc.output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const exited = once(proc, 'exit');
      proc.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
  onCleanup(t, async () => {
    rpc.close();
    await d.stop();
    const leftovers = liveEngines(home);
    for (const pid of leftovers) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    if (leftovers.length > 0) throw new Error(`engine processes outlived the test: ${leftovers.join(', ')}`);
  });
  return d;
}

/** Asks `status` until `pred` holds (a barrier on the daemon's own counters, with a deadline). */
export async function statusUntil(d: RunningDaemon, pred: (s: StatusResult) => boolean, what: string, timeoutMs = 20_000): Promise<StatusResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await d.rpc.request('status');
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
