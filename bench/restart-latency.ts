// Time from the engine's death to the restart command (the daemon's `restart` event), against a
// bare Node parent noticing its child's exit and spawning again, same run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { FAKE_ENGINE } from '../test/helpers/daemon.js';
import { benchDaemon, percentile } from './daemon.js';

const ROUNDS = Number(process.env.BENCH_RESTART_ROUNDS ?? 5);

async function baseline(): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const t0 = performance.now();
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const again = spawn(FAKE_ENGINE, ['serve', '--help'], { stdio: 'ignore' });
    out.push(performance.now() - t0);
    await once(again, 'exit');
  }
  return out.sort((a, b) => a - b);
}

export async function restartLatency(): Promise<string[]> {
  const base = await baseline();
  // A crash loop must not end the benchmark: allow more crashes than rounds.
  const d = await benchDaemon({ crashLoopMax: ROUNDS + 5 });
  const times: number[] = [];
  try {
    await d.rpc.request('load', { model: 'gemma-light' });
    for (let i = 0; i < ROUNDS; i++) {
      const pid = (await d.rpc.request('status')).engine.pid!;
      const restarted = new Promise<number>((resolve) => {
        const off = d.rpc.onEvent((e) => { if (e.type === 'restart') { off(); resolve(performance.now()); } });
      });
      const ready = new Promise<void>((resolve) => {
        let sawRestart = false;
        const off = d.rpc.onEvent((e) => {
          if (e.type === 'restart') sawRestart = true;
          if (sawRestart && e.type === 'state' && e.to === 'ready') { off(); resolve(); }
        });
      });
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      times.push((await restarted) - t0);
      await ready;
    }
  } finally {
    await d.close();
  }
  times.sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(1);
  return [
    `engine death → restart command (${ROUNDS} rounds): median ${f(percentile(times, 50))} ms, max ${f(times.at(-1)!)} ms`,
    `bare parent: child exit noticed → respawn: median ${f(percentile(base, 50))} ms`,
    `ratio daemon/bare: ×${(percentile(times, 50) / percentile(base, 50)).toFixed(2)}`,
  ];
}
