// Client side of the control socket: the one place that turns socket errors into meaning.
import { connect as netConnect, type Socket } from 'node:net';
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCResponse } from 'json-rpc-2.0';
import { readLines, writeLine } from './framing.js';
import { EVENT_METHOD, type DaemonEvent, type ErrorData, type Methods } from './protocol.js';

export type ConnectFailure = 'not-running' | 'stale-socket' | 'refused-permission';

/** The daemon is not there to talk to; `kind` says why. */
export class DaemonUnavailableError extends Error {
  constructor(readonly kind: ConnectFailure, readonly socketPath: string, cause?: unknown) {
    super(kind === 'refused-permission'
      ? `cannot open ${socketPath}: permission denied (the socket belongs to another user)`
      : `cclocald is not running (no answer on ${socketPath})`, { cause });
  }
}

/** The connection dropped with requests in flight; `shuttingDown`: the daemon said it was stopping. */
export class ConnectionLostError extends Error {
  constructor(message: string, readonly shuttingDown = false) { super(message); }
}

const LOST = 'connection to cclocald was lost';
const SHUTTING_DOWN = 'cclocald is shutting down';

type Params<M extends keyof Methods> = Parameters<Methods[M]> extends [infer P] ? P : undefined;
type Result<M extends keyof Methods> = ReturnType<Methods[M]>;

export interface DaemonClient {
  request<M extends keyof Methods>(method: M, ...params: Params<M> extends undefined ? [] : [Params<M>]): Promise<Result<M>>;
  onEvent(listener: (event: DaemonEvent) => void): () => void;
  onClose(listener: () => void): () => void;
  close(): void;
  readonly socket: Socket;
}

export function connectDaemon(socketPath: string): Promise<DaemonClient> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(socketPath);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new DaemonUnavailableError('not-running', socketPath, err));
      // A socket file with nobody listening: a dead daemon's leftover. The next daemon removes it.
      else if (err.code === 'ECONNREFUSED') reject(new DaemonUnavailableError('stale-socket', socketPath, err));
      else if (err.code === 'EACCES' || err.code === 'EPERM') reject(new DaemonUnavailableError('refused-permission', socketPath, err));
      else reject(err);
    });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(wrap(socket));
    });
  });
}

function wrap(socket: Socket): DaemonClient {
  const eventListeners = new Set<(e: DaemonEvent) => void>();
  const closeListeners = new Set<() => void>();
  const rpc = new JSONRPCClient((payload) => {
    if (!writeLine(socket, payload)) throw new ConnectionLostError('connection to cclocald is closed');
  });
  let stopping = false;
  readLines(socket, {
    onLine(line) {
      let msg: unknown;
      try { msg = JSON.parse(line); } catch { return; }
      if (isEvent(msg)) {
        if (msg.params.type === 'stopping') stopping = true;
        for (const l of eventListeners) l(msg.params);
        return;
      }
      rpc.receive(msg as JSONRPCResponse);
    },
    onOverflow() { /* the daemon never sends lines this long; ignore rather than die */ },
  });
  let closed = false;
  const onGone = () => {
    if (closed) return;
    closed = true;
    rpc.rejectAllPendingRequests(stopping ? SHUTTING_DOWN : LOST);
    for (const l of closeListeners) l();
  };
  socket.on('error', onGone);
  socket.on('close', onGone);
  return {
    socket,
    async request(method: string, ...params: unknown[]) {
      try {
        return await rpc.request(method, params[0] as never);
      } catch (err) {
        if (err instanceof JSONRPCErrorException) throw err;
        throw new ConnectionLostError(err instanceof Error ? err.message : String(err), stopping);
      }
    },
    onEvent(listener) { eventListeners.add(listener); return () => eventListeners.delete(listener); },
    onClose(listener) { closeListeners.add(listener); return () => closeListeners.delete(listener); },
    close() { socket.end(); socket.destroy(); },
  } as DaemonClient;
}

function isEvent(msg: unknown): msg is { method: string; params: DaemonEvent } {
  return typeof msg === 'object' && msg !== null && (msg as { method?: unknown }).method === EVENT_METHOD
    && !('id' in msg);
}

/** The daemon's reason for an error reply, when it gave one. */
export function errorData(err: unknown): ErrorData | undefined {
  if (err instanceof JSONRPCErrorException && err.data && typeof err.data === 'object') return err.data as ErrorData;
  return undefined;
}
