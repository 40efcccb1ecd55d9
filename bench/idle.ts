// The daemon's idle RSS and CPU over a window (60 s by default) with a warm engine, against a
// bare idle Node process measured over the same window.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { benchDaemon } from './daemon.js';

const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const TICKS = 100; // USER_HZ on Linux

function sample(pid: number): { rssKB: number; cpuTicks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssKB: rss, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

export async function idle(): Promise<string[]> {
  const d = await benchDaemon({}, false); // production polling intervals, not the tests' fast ones
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(bare, 'spawn');
  try {
    await d.rpc.request('load', { model: 'gemma-light' });
    const a = sample(d.proc.pid!);
    const b = sample(bare.pid!);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const a2 = sample(d.proc.pid!);
    const b2 = sample(bare.pid!);
    const cpu = (x: number, y: number) => ((y - x) / TICKS / IDLE_S) * 100;
    const dc = cpu(a.cpuTicks, a2.cpuTicks);
    const bc = cpu(b.cpuTicks, b2.cpuTicks);
    return [
      `idle over ${IDLE_S} s with a warm engine: RSS ${(a2.rssKB / 1024).toFixed(1)} MB, CPU ${dc.toFixed(3)}%`,
      `bare idle node baseline:              RSS ${(b2.rssKB / 1024).toFixed(1)} MB, CPU ${bc.toFixed(3)}%`,
      `ratio daemon/bare: RSS ×${(a2.rssKB / b2.rssKB).toFixed(2)}, CPU +${(dc - bc).toFixed(3)} points`,
    ];
  } finally {
    bare.kill();
    await d.close();
  }
}
