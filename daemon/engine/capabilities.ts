// What the installed engine accepts, from its --help, once per executable (and per change of it).
import { statSync } from 'node:fs';
import { runCommand } from '../platform/exec.js';
import type { EngineCapabilities, EngineKind } from './kind.js';

const cache = new Map<string, EngineCapabilities>();
// Importing vllm-mlx (torch-free, but mlx + transformers) takes a few seconds on a cold disk.
const HELP_TIMEOUT_MS = 60_000;

export async function engineCapabilities(kind: EngineKind, bin: string, env: Record<string, string>): Promise<EngineCapabilities> {
  let key = `${kind.name}:${bin}`;
  try { key += `@${statSync(bin).mtimeMs}`; } catch { /* the start will report the missing file */ }
  const hit = cache.get(key);
  if (hit) return hit;
  const r = await runCommand(bin, [...kind.helpArgs], { timeoutMs: HELP_TIMEOUT_MS, env });
  const caps = kind.capabilitiesFromHelp(`${r.stdout}\n${r.stderr}`);
  // Only a help that ran can say the program is another one; a timeout says nothing.
  if (!r.ok) return { ...caps, foreign: false };
  cache.set(key, caps);
  return caps;
}
