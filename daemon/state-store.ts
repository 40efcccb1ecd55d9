// What the daemon remembers across its own restarts: the model to keep warm and the context
// window decided for each model (an OOM shrink holds until a person raises it with setContext).
import { readFileSync, unlinkSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-write.js';
import { ENGINE_KIND_NAMES, type EngineKindName } from './protocol/protocol.js';

export interface PersistedState {
  lastModel: string | null;
  /** The engine kind lastModel ran on (null: the configured one). */
  lastEngine: EngineKindName | null;
  /** The executable a client named for it (its CCLOCAL_ENGINE_BIN), kept for the restarts. */
  lastEngineBin: string | null;
  /** The kind configured (CCLOCAL_ENGINE, config.json) when lastEngine was chosen: a changed
   *  configuration wins over what a client chose before it. */
  lastConfiguredEngine: EngineKindName | null;
  contexts: Record<string, number>;
}

export interface EngineRecord {
  /** Absent in records written before there were two kinds: vllm-mlx. */
  kind?: EngineKindName;
  pid: number;
  model: string;
  port: number;
  bin: string;
  startedAt: string;
  /** The run's part of the owner mark in the engine's environment (engine/owner-mark.ts); records
   *  without one name no process provably ours. */
  runId?: string;
  /** The process's start stamp (platform/ps.ts): a recycled pid has another. */
  processStart?: string | null;
}

function readJson<T>(path: string): T | null {
  try { return JSON.parse(readFileSync(path, 'utf8')) as T; } catch { return null; }
}

/** tmp + rename: a full disk or a crash mid-write leaves the old file whole. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Mode 0600, through common/atomic-write.ts (never written through a link left in its place). */
export function writeTextAtomic(path: string, text: string): void {
  writeFileAtomic(path, text, 0o600);
}

export function loadState(path: string): PersistedState {
  const raw = readJson<Partial<PersistedState>>(path);
  const contexts: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw?.contexts ?? {})) if (Number.isInteger(v) && v > 0) contexts[k] = v;
  const kindOf = (v: unknown) => ENGINE_KIND_NAMES.find((k) => k === v) ?? null;
  const lastEngine = kindOf(raw?.lastEngine);
  return {
    lastModel: typeof raw?.lastModel === 'string' ? raw.lastModel : null,
    lastEngine,
    lastEngineBin: typeof raw?.lastEngineBin === 'string' ? raw.lastEngineBin : null,
    lastConfiguredEngine: kindOf(raw?.lastConfiguredEngine),
    contexts,
  };
}

export function readEngineRecord(path: string): EngineRecord | null {
  const r = readJson<EngineRecord>(path);
  return r && Number.isInteger(r.pid) && r.pid > 1 && typeof r.model === 'string' ? r : null;
}

export function removeFile(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}
