// One short function per contract method. Knows methods, not sockets.
import { statSync } from 'node:fs';
import { JSONRPCServer } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { invalidParams, unknownModel } from '../errors.js';
import { dirBytes } from '../engine/hf-cache.js';
import { engineKind, isEngineName, isLocalKind } from '../engine/kinds.js';
import { preflight } from '../preflight.js';
import { readMemoryFacts } from '../platform/sysctl.js';
import { ENGINE_KIND_NAMES, type LoadParams, type PreflightResult, type StatusResult } from '../protocol/protocol.js';
import type { EngineHost } from '../engine-host.js';
import { mapError } from './errors.js';

export interface MethodDeps {
  host: EngineHost;
  daemonStatus(): Omit<StatusResult, 'engine'>;
  hfHubCache: string;
  /** The daemon's environment (where an engine's downloads land may depend on it). */
  engineEnv: Readonly<Record<string, string>>;
  platform: 'darwin' | 'linux';
  contextFloor: number;
  /** Where the memory safeguard's shrink starts (config.json's defaultContextWindow). */
  defaultContextWindow: number;
  /** Work that follows an unload (restoring a raised GPU wired limit). */
  afterUnload(): Promise<void>;
  /** Begins the daemon's shutdown (after the reply is sent). */
  requestShutdown(reason: string): void;
  log: Logger;
}

const GIB = 1024 ** 3;

function fileBytes(path: string): number {
  try { return statSync(path).size; } catch { return 0; }
}

function objectParams(params: unknown, method: string): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidParams(`${method} takes named params (a JSON object)`);
  return params as Record<string, unknown>;
}

function optionalInt(p: Record<string, unknown>, key: string): number | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidParams(`${key} must be an integer`);
  return v;
}

/** Longer than any model reference or path a person could mean. */
const MAX_PARAM_CHARS = 4096;

function requiredModel(p: Record<string, unknown>, method: string): string {
  if (typeof p.model !== 'string' || p.model.length === 0) throw invalidParams(`${method} needs {"model": "<catalog name or org/name>"}`);
  if (p.model.length > MAX_PARAM_CHARS) throw invalidParams(`model is longer than ${MAX_PARAM_CHARS} characters`);
  return p.model;
}

function optionalEngine(p: Record<string, unknown>): LoadParams['engine'] {
  if (p.engine === undefined) return undefined;
  if (!isEngineName(p.engine)) throw invalidParams(`engine must be one of ${ENGINE_KIND_NAMES.join(', ')}`);
  return p.engine;
}

function optionalPath(p: Record<string, unknown>, key: string): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v.startsWith('/') || v.length > MAX_PARAM_CHARS || v.includes('\0')) throw invalidParams(`${key} must be an absolute path`);
  return v;
}

export function createRpcServer(d: MethodDeps): JSONRPCServer {
  const server = new JSONRPCServer({ errorListener: () => undefined }); // mapError logs what matters
  server.mapErrorToJSONRPCErrorResponse = mapError(d.log);

  server.addMethod('status', (): StatusResult => ({ ...d.daemonStatus(), engine: d.host.status() }));

  server.addMethod('load', (params) => {
    const p = objectParams(params, 'load');
    const engine = optionalEngine(p);
    // A remote engine may be loaded with no model: the configured one, else the upstream's first.
    const remote = engine === 'remote' || (engine === undefined && d.host.kindName === 'remote');
    const model = remote && (p.model === undefined || p.model === '') ? '' : requiredModel(p, 'load');
    const req: LoadParams = { model, contextWindow: optionalInt(p, 'contextWindow'), engine, engineBin: optionalPath(p, 'engineBin') };
    return d.host.load(req.model, { contextWindow: req.contextWindow, engine: req.engine, engineBin: req.engineBin });
  });

  server.addMethod('unload', async () => {
    await d.host.unload();
    await d.afterUnload();
    return { stopped: true };
  });

  server.addMethod('setContext', (params) => {
    const p = objectParams(params, 'setContext');
    const ctx = optionalInt(p, 'contextWindow');
    if (ctx === undefined) throw invalidParams('setContext needs {"contextWindow": <prompt tokens>}');
    return d.host.setContext(ctx);
  });

  server.addMethod('preflight', async (params): Promise<PreflightResult> => {
    const p = objectParams(params, 'preflight');
    const name = requiredModel(p, 'preflight');
    const engine = optionalEngine(p) ?? d.host.kindName;
    // Nothing of a remote engine's sits in this machine's memory.
    if (!isLocalKind(engine)) throw invalidParams('preflight checks this machine\'s memory for a local engine; a remote engine needs none');
    const kind = engineKind(engine);
    const model = kind.resolveModel(name);
    if (!model) throw unknownModel(name, kind.unknownModelHint(name), kind.name);
    const mem = await readMemoryFacts(d.platform);
    const place = kind.downloads(model, d.engineEnv, d.hfHubCache);
    return preflight({
      platform: d.platform,
      totalBytes: mem.totalBytes,
      wiredLimitMb: mem.wiredLimitMb,
      cachedBytes: 'file' in model.source ? fileBytes(model.source.file) : place.dir ? dirBytes(place.dir) : 0,
      catalogBytes: (model.entry?.sizeGB ?? 0) * GIB,
      contextWindow: d.host.local.contextWindowFor(model.id),
      defaultContextWindow: d.defaultContextWindow,
      contextFloor: d.contextFloor,
    });
  });

  server.addMethod('shutdown', () => {
    d.requestShutdown('shutdown requested over the socket');
    return { stopping: true };
  });

  return server;
}
