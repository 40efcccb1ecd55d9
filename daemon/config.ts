// The environment of the contract plus $CCLOCAL_HOME/config.json → one frozen Config.
// Read once, in run.ts; nothing else in the daemon reads process.env.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { engineSafeEnv } from '../common/credential-env.js';
import { packageRoot } from '../common/package-root.js';
import { defaultEngineName, isEngineName } from './engine/kinds.js';
import { hubCacheDir } from '../common/hf-cache.js';
import { homeDir, homePaths, type HomePaths } from './protocol/paths.js';
import { DURATION_BOUNDS, isDurationKey, parseDuration, type DurationKey } from './durations.js';
import { ENGINE_KIND_NAMES, type EngineKindName } from './protocol/protocol.js';
import { MAX_CONTEXT_WINDOW } from './context-bounds.js';
import { parseRemoteConfig, RemoteConfigError, type RemoteConfig } from './remote/remote-config.js';

/** Tunables a person (or a test) may set in config.json; production defaults below. */
export interface Tunables {
  /** How often /health is asked while the engine starts. */
  healthPollMs: number;
  /** How often the HF cache folder is measured for download progress. */
  progressIntervalMs: number;
  /** Give up a start after this long with neither download progress nor readiness (seed: 240 s).
   *  Every *Ms tunable is bounded in durations.ts; the waits that may be "never" hold NEVER. */
  stallTimeoutMs: number;
  /** A download counts as finished after this long without growth. */
  downloadQuietMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  crashLoopMax: number;
  crashLoopWindowMs: number;
  /** SIGTERM → SIGKILL grace: uvicorn may wait for a generation in flight. */
  stopGraceMs: number;
  /** Prompt-token budget when nothing smaller was decided. */
  defaultContextWindow: number;
  /** Halving after OOMs stops here: below it Claude Code cannot work (CONTEXT_FLOOR). */
  contextFloor: number;
  /** The engine's loopback port; 0 lets the daemon pick a free one at each start. */
  enginePort: number;
  /** How often /v1/status is read for Metal memory while ready. */
  memoryPollMs: number;
  /** Load the last model again when the daemon starts (keeps it warm across daemon restarts). */
  autoload: boolean;
  /** Desktop notifications on crashes. */
  notify: boolean;
  /** Which platform's commands to use (darwin or linux); defaults to this machine's. */
  platform: 'darwin' | 'linux';
  /** Requests that reach the engine at once (1: Claude Code's overlapping calls never share the GPU). */
  endpointConcurrency: number;
  /** Requests that may wait for their turn; past it the client gets overloaded_error (529). */
  queueMax: number;
  /** Longest wait for a turn and a ready engine before overloaded_error. */
  queueTimeoutMs: number;
  /** No generated event this long after a request reached the engine: wedged (prefill can take minutes). */
  firstEventTimeoutMs: number;
  /** No event this long between two events (heartbeats do not count): wedged. */
  betweenEventsTimeoutMs: number;
  /** A streamed request that waits gets a `ping` event this often; at most 15 s (the contract). */
  pingIntervalMs: number;
  /** A client's whole request (headers and body) must arrive within this, or its connection closes. */
  requestTimeoutMs: number;
  /** The engine kind when CCLOCAL_ENGINE does not name one (the contract's default otherwise). */
  engine: EngineKindName;
}

/**
 * The smallest window Claude Code can work in, measured, not guessed (test/llama/context-floor.test.ts
 * measures it again from the captured requests in test/fixtures/claude-requests/ and fails when a
 * new release outgrows it). With the Qwen2 tokenizer of llama.cpp's bundle, Claude Code 2.1.332's
 * first request is 4,862 tokens: system prompt 1,526, its 7 tools 2,980, the first user turn with
 * its reminders 356 (2.1.197: 3,920). A quarter more for tokenizers that split finer (a judgement:
 * four bytes a token, the rule behind the "about 6K" often quoted, is 22% above this count), plus
 * one whole answer at cclocal's default budget (8,192 tokens), which the next request carries:
 * 4,862 × 1.25 + 8,192 = 14,270, rounded up to the next power of two (halving from the 32768
 * default lands on it exactly). At 4096, Claude Code's first request was already refused.
 */
export const CONTEXT_FLOOR = 16384;
export { MAX_CONTEXT_WINDOW };
/** The least a person may set as the floor (a client that is not Claude Code, or a test). */
const MIN_CONTEXT_FLOOR = 1024;

type NumberKey = { [K in keyof Tunables]: Tunables[K] extends number ? K : never }[keyof Tunables];
// Compile-time: every *Ms tunable has its bounds in durations.ts, and every other number its own here.
DURATION_BOUNDS satisfies Record<Extract<NumberKey, `${string}Ms`>, unknown>;

/** Bounds of the tunables that are counts, not durations. */
const INTEGER_BOUNDS: Record<Exclude<NumberKey, DurationKey>, { min: number; max: number }> = {
  crashLoopMax: { min: 1, max: 1000 },
  defaultContextWindow: { min: MIN_CONTEXT_FLOOR, max: MAX_CONTEXT_WINDOW },
  contextFloor: { min: MIN_CONTEXT_FLOOR, max: MAX_CONTEXT_WINDOW },
  enginePort: { min: 0, max: 65535 },
  endpointConcurrency: { min: 1, max: 64 },
  queueMax: { min: 1, max: 100_000 },
};

export const DEFAULT_TUNABLES: Readonly<Tunables> = Object.freeze({
  healthPollMs: 500,
  progressIntervalMs: 1000,
  stallTimeoutMs: 240_000,
  downloadQuietMs: 5000,
  backoffBaseMs: 2000,
  backoffMaxMs: 60_000,
  crashLoopMax: 5,
  crashLoopWindowMs: 600_000,
  stopGraceMs: 15_000,
  defaultContextWindow: 32768,
  contextFloor: CONTEXT_FLOOR,
  enginePort: 0,
  memoryPollMs: 5000,
  autoload: true,
  notify: true,
  platform: process.platform === 'darwin' ? 'darwin' : 'linux',
  endpointConcurrency: 1,
  queueMax: 32,
  queueTimeoutMs: 600_000,
  firstEventTimeoutMs: 900_000,
  betweenEventsTimeoutMs: 120_000,
  pingIntervalMs: 10_000,
  requestTimeoutMs: 60_000,
  engine: defaultEngineName(process.platform, process.arch),
});

export interface Config extends Tunables {
  paths: HomePaths;
  /** The servers a remote engine fronts (config.json's "remote"); null when none are configured. */
  remote: RemoteConfig | null;
  /** The Anthropic-API endpoint's port on 127.0.0.1. */
  port: number;
  /** CCLOCAL_ENGINE_BIN when set: the executable of `engine`, the kind configured here. */
  engineBinEnv: string | undefined;
  /** Where builds are cached outside the clone (scripts/build-llama-server.sh builds there). */
  buildCache: string;
  /** Where Hugging Face puts models--org--name folders. */
  hfHubCache: string;
  /** The package root (where ./install.sh puts .venv), found from this file, never from argv[0]. */
  installRoot: string;
  pathVar: string;
  /** The environment the engine inherits, without Claude Code's credentials (engineSafeEnv). */
  engineBaseEnv: Readonly<Record<string, string>>;
}

export class ConfigError extends Error {}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`CCLOCAL_PORT must be a port number (1-65535), got "${raw}"`);
  return n;
}

function readTunables(path: string): Tunables & { remote: RemoteConfig | null } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_TUNABLES, remote: null };
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${path} must hold a JSON object`);
  const out: Tunables = { ...DEFAULT_TUNABLES };
  let remote: RemoteConfig | null = null;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'remote') {
      try { remote = parseRemoteConfig(value); } catch (err) {
        if (err instanceof RemoteConfigError) throw new ConfigError(`${path}: ${err.message}`);
        throw err;
      }
      continue;
    }
    if (!(key in DEFAULT_TUNABLES)) throw new ConfigError(`${path}: unknown setting "${key.slice(0, 60)}" (known: ${Object.keys(DEFAULT_TUNABLES).join(', ')}, remote)`);
    const k = key as keyof Tunables;
    const def = DEFAULT_TUNABLES[k];
    if (k === 'engine') {
      if (!isEngineName(value)) throw new ConfigError(`${path}: engine must be one of ${ENGINE_KIND_NAMES.join(', ')}`);
      out.engine = value;
    } else if (k === 'platform') {
      if (value !== 'darwin' && value !== 'linux') throw new ConfigError(`${path}: platform must be "darwin" or "linux"`);
      out.platform = value;
    } else if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') throw new ConfigError(`${path}: ${key} must be true or false`);
      (out as unknown as Record<string, unknown>)[k] = value;
    } else if (isDurationKey(k)) {
      const d = parseDuration(k, value);
      if ('problem' in d) throw new ConfigError(`${path}: ${d.problem}`);
      (out as unknown as Record<string, unknown>)[k] = d.ms;
    } else {
      const b = INTEGER_BOUNDS[k as Exclude<NumberKey, DurationKey>];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < b.min || value > b.max) {
        throw new ConfigError(`${path}: ${key} is ${String(JSON.stringify(value)).slice(0, 60)}; it must be a whole number from ${b.min} to ${b.max}`);
      }
      (out as unknown as Record<string, unknown>)[k] = value;
    }
  }
  if (out.contextFloor > out.defaultContextWindow) {
    throw new ConfigError(`${path}: contextFloor (${out.contextFloor}) is above defaultContextWindow (${out.defaultContextWindow}); lower contextFloor or raise defaultContextWindow`);
  }
  return { ...out, remote };
}

/** The `platform` a home's config.json names, else this machine's; a broken file counts as absent
 *  here (the daemon itself refuses it at start, with the reason). */
export function configuredPlatform(configPath: string): 'darwin' | 'linux' {
  try { return readTunables(configPath).platform; } catch { return DEFAULT_TUNABLES.platform; }
}

/** ~/.cache/cclocal, or CCLOCAL_BUILD_CACHE (the same rule as scripts/build-llama-server.sh). */
export function buildCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.CCLOCAL_BUILD_CACHE) return env.CCLOCAL_BUILD_CACHE;
  return resolve(env.XDG_CACHE_HOME || resolve(env.HOME || '/', '.cache'), 'cclocal');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const paths = homePaths(homeDir(env));
  const tunables = readTunables(paths.config);
  if (env.CCLOCAL_ENGINE) {
    if (!isEngineName(env.CCLOCAL_ENGINE)) throw new ConfigError(`CCLOCAL_ENGINE must be one of ${ENGINE_KIND_NAMES.join(', ')}, got "${env.CCLOCAL_ENGINE.slice(0, 100)}"`);
    tunables.engine = env.CCLOCAL_ENGINE;
  }
  if (tunables.engine === 'remote' && !tunables.remote) throw new ConfigError(`the engine is "remote" but ${paths.config} has no "remote" object; add {"remote": {"urls": ["https://…"]}} (README, "In front of a team's servers")`);
  // A real key must never reach a local server (seed #10), not even through the engine's env.
  const engineBaseEnv = engineSafeEnv(env);
  return Object.freeze({
    ...tunables,
    paths,
    port: parsePort(env.CCLOCAL_PORT),
    engineBinEnv: env.CCLOCAL_ENGINE_BIN || undefined,
    buildCache: buildCacheDir(env),
    hfHubCache: hubCacheDir(env),
    installRoot: packageRoot(),
    pathVar: env.PATH ?? '',
    engineBaseEnv: Object.freeze(engineBaseEnv),
  });
}
