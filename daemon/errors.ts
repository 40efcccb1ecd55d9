// Errors that cross the socket: a stable reason, a message, and a hint a person can act on.
// Each reason's wording is written once, here.
import { ErrorCode, type ErrorData, type ErrorReason } from './protocol/protocol.js';

const CODE_OF: Record<ErrorReason, number> = {
  'engine-missing': ErrorCode.EngineMissing,
  'unknown-model': ErrorCode.UnknownModel,
  'port-in-use': ErrorCode.PortInUse,
  'disk-full': ErrorCode.DiskFull,
  'engine-failed': ErrorCode.EngineFailed,
  cancelled: ErrorCode.Cancelled,
  'shutting-down': ErrorCode.ShuttingDown,
  'nothing-loaded': ErrorCode.NothingLoaded,
  'invalid-params': ErrorCode.InvalidParams,
  internal: ErrorCode.Internal,
};

export class DaemonError extends Error {
  readonly code: number;
  readonly data: ErrorData;
  constructor(reason: ErrorReason, message: string, hint?: string, detail?: Record<string, unknown>) {
    super(message);
    this.code = CODE_OF[reason];
    this.data = { reason, ...(hint ? { hint } : {}), ...(detail ? { detail } : {}) };
  }
  get reason(): ErrorReason { return this.data.reason; }
}

export const engineMissing = (kind: string, searched: string[], hint: string) =>
  new DaemonError('engine-missing', `${kind} not found (looked at ${searched.join(', ') || 'nothing'})`, hint, { kind, searched });

export const notThisEngine = (kind: string, bin: string) =>
  new DaemonError('engine-missing', `${bin.slice(0, 500)} is not ${kind} (its --help is another program's)`, `point CCLOCAL_ENGINE_BIN at your ${kind}, or unset it so cclocald finds one`, { kind, bin });

export const unknownModel = (name: string, hint: string, kind?: string) =>
  new DaemonError('unknown-model', `unknown model "${name.slice(0, 200)}"${kind ? ` for ${kind}` : ''}`, hint);

export const modelFileMissing = (path: string) =>
  new DaemonError('unknown-model', `no model file at ${path.slice(0, 500)}`, 'give the path of an existing .gguf file (cclocal makes a relative path absolute)');

export const portInUse = (port: number) =>
  new DaemonError('port-in-use', `port ${port} on 127.0.0.1 is already in use`, 'free it, or set enginePort in config.json to 0 to let cclocald pick one', { port });

export const engineFailed = (message: string) =>
  new DaemonError('engine-failed', message, 'read `cclocald logs --engine`, fix the cause, then `cclocald load <model>`');

export const cancelled = (why: string) => new DaemonError('cancelled', why);

export const shuttingDown = () => new DaemonError('shutting-down', 'cclocald is shutting down', 'start it again with `cclocald start`');

export const invalidParams = (message: string) => new DaemonError('invalid-params', message);

export const diskFull = (path: string) =>
  new DaemonError('disk-full', `no space left to write ${path}`, 'free some disk space; nothing was lost, the previous file is intact');

export const nothingLoaded = () =>
  new DaemonError('nothing-loaded', 'no model is loaded in cclocald', 'load one: `cclocald load gemma-light` (or run `cclocal`)');
