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

export const engineFailed = (message: string, hint = 'read `cclocald logs --engine`, fix the cause, then `cclocald load <model>`') =>
  new DaemonError('engine-failed', message, hint);

export const cancelled = (why: string) => new DaemonError('cancelled', why);

export const shuttingDown = () => new DaemonError('shutting-down', 'cclocald is shutting down', 'start it again with `cclocald start`');

export const invalidParams = (message: string) => new DaemonError('invalid-params', message);

/** Why the daemon's own step of an engine start failed (a file it could not write, no fds left). */
export function startFailure(err: unknown, recordPath: string): DaemonError {
  if (err instanceof DaemonError) return err;
  const e = err as NodeJS.ErrnoException;
  const path = typeof e?.path === 'string' ? e.path : recordPath;
  const folder = path.slice(0, path.lastIndexOf('/')) || '/';
  const retry = 'then `cclocald load <model>`';
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return new DaemonError('disk-full', `the disk is full: cannot write ${path}`, `free some space on the disk that holds ${folder} (\`df -h ${folder}\`), ${retry}`, { path });
  if (e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'EROFS') return new DaemonError('engine-failed', `cannot write ${path} (${e.code}), so the engine was not started`, `make ${folder} writable by you (\`chmod u+w ${folder}\`), ${retry}`, { path });
  if (e?.code === 'EEXIST' || e?.code === 'ENOTDIR') return new DaemonError('engine-failed', `cannot start the engine: something that is not a folder stands at ${path}`, `move it away (\`mv ${path} ${path}.old\`); cclocald makes the folder again, ${retry}`, { path });
  if (isTransient(e)) return new DaemonError('engine-failed', `the engine was not started: no file descriptors or processes left (${e.code})`, `close what holds cclocald's port open, or raise the limit (\`ulimit -n\`), ${retry}`);
  const text = typeof err === 'string' ? err : (e?.message ?? String(err));
  return new DaemonError('engine-failed', `the engine was not started: ${text.trim().slice(-500) || 'it could not be spawned'}`, `read \`cclocald logs --engine\`, ${retry}`);
}

/** The system refused a spawn for want of fds or processes: it may pass. */
export function isTransient(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN';
}

export const engineStuck = (pid: number) =>
  new DaemonError('engine-failed', `the last engine (pid ${pid}) is still alive after SIGKILL, so no new one was started beside it`, `it is stuck in the kernel (a hung disk or GPU driver); when \`ps -p ${pid}\` shows it gone, \`cclocald load <model>\``);

/** The engine itself said its disk is full (a download or a cache write). */
export const engineDiskFull = (model: string) =>
  new DaemonError('disk-full', `the disk is full: the engine for ${model} could not write what it needs`, 'free some space (the model cache and $CCLOCAL_HOME), then `cclocald load <model>`');

export const nothingLoaded = () =>
  new DaemonError('nothing-loaded', 'no model is loaded in cclocald', 'load one: `cclocald load gemma-light` (or run `cclocal`)');
