// One short function per contract method. Knows methods, not sockets.
import { JSONRPCServer } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { invalidParams, unknownModel } from '../errors.js';
import { dirBytes, modelCacheDir } from '../engine/hf-cache.js';
import { preflight } from '../preflight.js';
import { readMemoryFacts } from '../platform/sysctl.js';
import { CATALOG, resolveModel } from '../protocol/catalog.js';
import type { LoadParams, PreflightResult, StatusResult } from '../protocol/protocol.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { mapError } from './errors.js';

export interface MethodDeps {
  supervisor: Supervisor;
  daemonStatus(): Omit<StatusResult, 'engine'>;
  hfHubCache: string;
  platform: 'darwin' | 'linux';
  contextFloor: number;
  /** Work that follows an unload (restoring a raised GPU wired limit). */
  afterUnload(): Promise<void>;
  /** Begins the daemon's shutdown (after the reply is sent). */
  requestShutdown(reason: string): void;
  log: Logger;
}

const GIB = 1024 ** 3;

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

function requiredModel(p: Record<string, unknown>, method: string): string {
  if (typeof p.model !== 'string' || p.model.length === 0) throw invalidParams(`${method} needs {"model": "<catalog name or org/name>"}`);
  return p.model;
}

export function createRpcServer(d: MethodDeps): JSONRPCServer {
  const server = new JSONRPCServer({ errorListener: () => undefined }); // mapError logs what matters
  server.mapErrorToJSONRPCErrorResponse = mapError(d.log);

  server.addMethod('status', (): StatusResult => ({ ...d.daemonStatus(), engine: d.supervisor.status() }));

  server.addMethod('load', (params) => {
    const p = objectParams(params, 'load');
    const req: LoadParams = { model: requiredModel(p, 'load'), contextWindow: optionalInt(p, 'contextWindow') };
    return d.supervisor.load(req.model, req.contextWindow);
  });

  server.addMethod('unload', async () => {
    await d.supervisor.unload();
    await d.afterUnload();
    return { stopped: true };
  });

  server.addMethod('setContext', (params) => {
    const p = objectParams(params, 'setContext');
    const ctx = optionalInt(p, 'contextWindow');
    if (ctx === undefined) throw invalidParams('setContext needs {"contextWindow": <prompt tokens>}');
    return d.supervisor.setContext(ctx);
  });

  server.addMethod('preflight', async (params): Promise<PreflightResult> => {
    const name = requiredModel(objectParams(params, 'preflight'), 'preflight');
    const model = resolveModel(name);
    if (!model) throw unknownModel(name, CATALOG.map((e) => e.name));
    const mem = await readMemoryFacts(d.platform);
    return preflight({
      totalBytes: mem.totalBytes,
      wiredLimitMb: mem.wiredLimitMb,
      cachedBytes: dirBytes(modelCacheDir(d.hfHubCache, model.id)),
      catalogBytes: (model.entry?.sizeGB ?? 0) * GIB,
      contextWindow: d.supervisor.contextWindowFor(model.id),
      contextFloor: d.contextFloor,
    });
  });

  server.addMethod('shutdown', () => {
    d.requestShutdown('shutdown requested over the socket');
    return { stopping: true };
  });

  return server;
}
