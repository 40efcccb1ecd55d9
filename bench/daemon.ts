// Starts a real cclocald (tsx) with the stand-in engine in a temporary home, for benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForSocket } from '../common/wait-for.js';
import { connectDaemon, type DaemonClient } from '../daemon/protocol/connect.js';
import { homePaths } from '../daemon/protocol/paths.js';
import { FAKE_ENGINE, FAST_CONFIG, FIXTURE_BIN, ROOT } from '../test/helpers/daemon.js';

// The built daemon, as installed: plain Node, no tsx (npm run bench builds first).
const BUILT_MAIN = join(ROOT, 'dist', 'daemon', 'main.js');

export interface BenchDaemon { proc: ChildProcess; rpc: DaemonClient; socket: string; dir: string; close(): Promise<void> }

/** `fast` uses the tests' short intervals; otherwise the production defaults apply. The engine is
 *  the vllm-mlx stand-in unless `env` names another (CCLOCAL_ENGINE, CCLOCAL_ENGINE_BIN, …). */
export async function benchDaemon(config: Record<string, unknown> = {}, fast = true, env: Record<string, string> = {}): Promise<BenchDaemon> {
  const dir = mkdtempSync('/tmp/cclb-');
  const paths = homePaths(join(dir, 'h'));
  mkdirSync(paths.home, { mode: 0o700 });
  mkdirSync(join(dir, 'hf'));
  writeFileSync(paths.config, JSON.stringify({ ...(fast ? FAST_CONFIG : {}), notify: false, ...config }));
  const proc = spawn(process.execPath, [BUILT_MAIN, 'run'], {
    stdio: 'ignore',
    env: { PATH: `${FIXTURE_BIN}:${process.env.PATH}`, HOME: process.env.HOME, CCLOCAL_HOME: paths.home, CCLOCAL_ENGINE: 'vllm-mlx', CCLOCAL_ENGINE_BIN: FAKE_ENGINE, HF_HUB_CACHE: join(dir, 'hf'), ...env },
  });
  if (!(await waitForSocket(paths.home, paths.socket, 20_000))) throw new Error('cclocald did not start');
  const rpc = await connectDaemon(paths.socket);
  return {
    proc, rpc, socket: paths.socket, dir,
    async close() {
      rpc.close();
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
