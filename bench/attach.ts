// Attach time. Warm: `cclocal -- --version` against `claude --version` run directly (the launcher's
// warm path execs claude without Node). The Node client's own start-up to its exec of claude,
// against a bare `node -e ''`. Cold: a stopped daemon and a cached model, split into daemon start
// and engine load.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../daemon/protocol/connect.js';
import { homePaths } from '../daemon/protocol/paths.js';
import { startDaemonDetached } from '../common/spawn-daemon.js';
import { FAKE_ENGINE, FIXTURE_BIN, ROOT } from '../test/helpers/daemon.js';
import { childEnv, planFor } from '../client/attach.js';
import { DEFAULT_OUT_TOKENS } from '../common/attach-env.js';
import { percentile } from './daemon.js';

const N = Number(process.env.BENCH_ATTACH_N ?? 20);
const CCLOCAL = join(ROOT, 'bin', 'cclocal');
const CLAUDE = join(ROOT, 'node_modules', '.bin', 'claude');

function timeRun(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(file, args, { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

const median = (a: number[]) => percentile([...a].sort((x, y) => x - y), 50);

export async function attachTimes(): Promise<string[]> {
  const dir = mkdtempSync('/tmp/cclb-att-');
  const paths = homePaths(join(dir, 'h'));
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'hf', 'models--mlx-community--gemma-4-e4b-it-4bit', 'snapshots', 'main'), { recursive: true });
  writeFileSync(join(dir, 'hf', 'models--mlx-community--gemma-4-e4b-it-4bit', 'snapshots', 'main', 'config.json'), '{}');
  writeFileSync(paths.config, JSON.stringify({ notify: false, healthPollMs: 20 }));
  const port = 20000 + (process.pid % 10000);
  const env: NodeJS.ProcessEnv = {
    PATH: `${FIXTURE_BIN}:${process.env.PATH}`, HOME: dir, CCLOCAL_HOME: paths.home, CCLOCAL_ENGINE: 'vllm-mlx', CCLOCAL_ENGINE_BIN: FAKE_ENGINE,
    HF_HUB_CACHE: join(dir, 'hf'), CCLOCAL_PORT: String(port), CCLOCAL_CLAUDE_BIN: CLAUDE, FAKE_VLLM_LOAD_MS: '0',
  };
  const lines: string[] = [];
  try {
    // Cold: nothing running, model cached.
    const t0 = performance.now();
    const started = await startDaemonDetached(paths, env);
    if (!started.ok) throw new Error(started.message);
    const tStarted = performance.now();
    const rpc = await connectDaemon(paths.socket);
    await rpc.request('load', { model: 'gemma-light' });
    const tLoaded = performance.now();
    rpc.close();
    lines.push(`cold attach pieces: daemon start ${(tStarted - t0).toFixed(0)} ms, engine load (stand-in, cached model, no load delay) ${(tLoaded - tStarted).toFixed(0)} ms`);

    // Warm: alternate so both see the same machine state.
    // claude itself is slower to print its version when given flags (it parses them and its
    // config), so the fair baseline is claude run directly with the same flags and environment.
    const plan = planFor(`http://127.0.0.1:${port}`, 'mlx-community/gemma-4-e4b-it-4bit', 32768, DEFAULT_OUT_TOKENS);
    const sameEnv = childEnv(plan, env);
    const direct: number[] = [];
    const directSame: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < N; i++) {
      direct.push(timeRun(CLAUDE, ['--version'], env));
      directSame.push(timeRun(CLAUDE, [...plan.args, '--version'], sameEnv));
      warm.push(timeRun(CCLOCAL, ['--', '--version'], env));
    }
    lines.push(`warm attach: cclocal -- --version median ${median(warm).toFixed(1)} ms; claude with the same flags and env run directly ${median(directSame).toFixed(1)} ms, ratio ×${(median(warm) / median(directSame)).toFixed(3)} (target < ×1.15)`);
    lines.push(`  bare claude --version ${median(direct).toFixed(1)} ms, ratio ×${(median(warm) / median(direct)).toFixed(3)} (claude's own cost of the seed's flags is in this one)`);

    // The Node client's path (a flag forces it): start-up, socket round trips, then exec of claude.
    const node: number[] = [];
    const client: number[] = [];
    const trueEnv = { ...env, CCLOCAL_CLAUDE_BIN: '/bin/true' };
    for (let i = 0; i < N; i++) {
      node.push(timeRun(process.execPath, ['-e', ''], env));
      client.push(timeRun(CCLOCAL, ['--gemma-light', '--', '--version'], trueEnv));
    }
    lines.push(`Node client to claude's exec (warm daemon, claude = /bin/true): median ${median(client).toFixed(1)} ms; bare node start-up ${median(node).toFixed(1)} ms; client work beyond node start-up ${(median(client) - median(node)).toFixed(1)} ms (target < 80 ms)`);

    const stopped = spawnSync(process.execPath, [join(ROOT, 'dist', 'daemon', 'main.js'), 'stop'], { env, stdio: 'ignore' });
    void stopped;
    // Cold through cclocal itself: daemon start + load + attach, one command.
    const tc = timeRun(CCLOCAL, ['--gemma-light', '--', '--version'], env);
    lines.push(`cold attach through cclocal (daemon stopped, model cached): ${tc.toFixed(0)} ms`);
  } finally {
    spawnSync(process.execPath, [join(ROOT, 'dist', 'daemon', 'main.js'), 'stop'], { env, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
