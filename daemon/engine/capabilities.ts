// What the installed engine accepts, from its --help, once per executable (and per change of it).
import { statSync } from 'node:fs';
import { execa } from 'execa';
import type { EngineCapabilities, EngineKind } from './kind.js';

const cache = new Map<string, EngineCapabilities>();
// Importing vllm-mlx (torch-free, but mlx + transformers) takes a few seconds on a cold disk.
const HELP_TIMEOUT_MS = 60_000;

export async function engineCapabilities(kind: EngineKind, bin: string, env: Record<string, string>): Promise<EngineCapabilities> {
  let key = `${kind.name}:${bin}`;
  try { key += `@${statSync(bin).mtimeMs}`; } catch { /* the start will report the missing file */ }
  const hit = cache.get(key);
  if (hit) return hit;
  const r = await execa(bin, [...kind.helpArgs], { reject: false, timeout: HELP_TIMEOUT_MS, env, extendEnv: false, stdin: 'ignore' });
  const caps = kind.capabilitiesFromHelp(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  // Only a help that ran can say the program is another one; a timeout says nothing.
  if (r.exitCode !== 0) return { ...caps, foreign: false };
  cache.set(key, caps);
  return caps;
}
