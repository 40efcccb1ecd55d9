// The environment of the contract plus $CCLOCAL_HOME/config.json → one frozen Config.
// Read once, in run.ts; nothing else in the daemon reads process.env.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { defaultEngineName, isEngineName } from './engine/kinds.js';
import { hubCacheDir } from '../common/hf-cache.js';
import { homeDir, homePaths, type HomePaths } from './protocol/paths.js';
import { ENGINE_KIND_NAMES, type EngineKindName } from './protocol/protocol.js';

/** Tunables a person (or a test) may set in config.json; production defaults below. */
export interface Tunables {
  /** How often /health is asked while the engine starts. */
  healthPollMs: number;
  /** How often the HF cache folder is measured for download progress. */
  progressIntervalMs: number;
  /** Give up a start after this long with neither download progress nor readiness (seed: 240 s). */
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
  /** Halving after OOMs stops here: below it Claude Code's own system prompt no longer fits. */
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
  /** The engine kind when CCLOCAL_ENGINE does not name one (the contract's default otherwise). */
  engine: EngineKindName;
}

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
  contextFloor: 4096,
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
  engine: defaultEngineName(process.platform, process.arch),
});

export interface Config extends Tunables {
  paths: HomePaths;
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
  /** The environment the engine inherits, without Anthropic credentials. */
  engineBaseEnv: Readonly<Record<string, string>>;
}

export class ConfigError extends Error {}

/** The contract's promise: a waiting stream hears from the endpoint at least every 15 s. */
const MAX_PING_INTERVAL_MS = 15_000;
/** Below this a waiting stream would be mostly pings. */
const MIN_PING_INTERVAL_MS = 10;

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`CCLOCAL_PORT must be a port number (1-65535), got "${raw}"`);
  return n;
}

function readTunables(path: string): Tunables {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_TUNABLES };
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
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_TUNABLES)) throw new ConfigError(`${path}: unknown setting "${key}" (known: ${Object.keys(DEFAULT_TUNABLES).join(', ')})`);
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
    } else {
      const min = k === 'enginePort' ? 0 : 1;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ConfigError(`${path}: ${key} must be an integer ≥ ${min}`);
      (out as unknown as Record<string, unknown>)[k] = value;
    }
  }
  if (out.pingIntervalMs > MAX_PING_INTERVAL_MS || out.pingIntervalMs < MIN_PING_INTERVAL_MS) {
    throw new ConfigError(`${path}: pingIntervalMs must be from ${MIN_PING_INTERVAL_MS} to ${MAX_PING_INTERVAL_MS} (a ping at least every 15 s keeps Claude Code's stream watchdogs quiet)`);
  }
  if (out.contextFloor > out.defaultContextWindow) throw new ConfigError(`${path}: contextFloor is above defaultContextWindow`);
  return out;
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
  const engineBaseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    // A real key must never reach a local server (seed #10), not even through the engine's env.
    if (v !== undefined && k !== 'ANTHROPIC_API_KEY' && k !== 'ANTHROPIC_AUTH_TOKEN') engineBaseEnv[k] = v;
  }
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
