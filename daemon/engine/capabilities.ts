// What the installed engine accepts, from `vllm-mlx serve --help` (argparse), once per binary.
import { statSync } from 'node:fs';
import { execa } from 'execa';
import { capabilitiesFromHelp, type EngineCapabilities } from './vllm-mlx.js';

const cache = new Map<string, EngineCapabilities>();
// Importing vllm-mlx (torch-free, but mlx + transformers) takes a few seconds on a cold disk.
const HELP_TIMEOUT_MS = 60_000;

export async function engineCapabilities(bin: string, env: Record<string, string>): Promise<EngineCapabilities> {
  let key = bin;
  try { key = `${bin}@${statSync(bin).mtimeMs}`; } catch { /* the start will report the missing file */ }
  const hit = cache.get(key);
  if (hit) return hit;
  const r = await execa(bin, ['serve', '--help'], { reject: false, timeout: HELP_TIMEOUT_MS, env, extendEnv: false, stdin: 'ignore' });
  const caps = capabilitiesFromHelp(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (r.exitCode === 0) cache.set(key, caps);
  return caps;
}
