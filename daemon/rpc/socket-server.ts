// The Unix socket: accept, frame lines, hand each to the JSON-RPC server, broadcast events.
// A bad line gets its JSON-RPC error and the connection goes on; nothing a peer sends can stop
// the daemon. A peer that does not read is dropped rather than paused: events cannot wait for it.
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createJSONRPCErrorResponse, JSONRPCErrorCode, type JSONRPCServer } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { readLines, writeLine } from '../protocol/framing.js';
import { EVENT_METHOD, type DaemonEvent } from '../protocol/protocol.js';
import { shapeOf, type Checked } from './request-shape.js';

/** A client this far behind in reading its answers and events is stuck or hostile: it is dropped,
 *  or what it does not read piles up in the daemon's memory (issue 11, item 13). cclocal reads
 *  every line as it comes; its largest burst (a status answer, progress events) is a few KB. */
export const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/** Clients at once (run.ts sizes it by the open-files limit): each holds a file descriptor; past
 *  this one is closed as it arrives, so a flood cannot take the fds an engine restart needs. */
export const MAX_CLIENTS = 128;

export interface SocketServer {
  broadcast(event: DaemonEvent): void;
  connectionCount(): number;
  close(): Promise<void>;
}

export async function listenSocket(path: string, rpc: JSONRPCServer, log: Logger, maxUnreadBytes = MAX_UNREAD_BYTES, maxClients = MAX_CLIENTS): Promise<SocketServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // a client that vanished mid-write
    readLines(socket, {
      onLine: (line) => void answer(socket, line),
      onOverflow: () => send(socket, createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, 'Parse error: line too long')),
    });
  });
  server.maxConnections = maxClients;
  /** Every line to a client goes through here: past the cap the client is dropped, not buffered. */
  const send = (socket: Socket, value: unknown) => {
    if (socket.destroyed) return; // dropped or gone: answers still in flight reach no one
    writeLine(socket, value);
    if (socket.writableLength <= maxUnreadBytes) return;
    log.warn({ unreadBytes: socket.writableLength }, 'dropped a socket client that does not read what it is sent');
    socket.destroy();
  };
  const run = async (c: Checked) => ('invalid' in c ? c.invalid : rpc.receive(c.request));
  const answer = async (socket: Socket, line: string) => {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      send(socket, createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, 'Parse error'));
      return;
    }
    try {
      const shaped = shapeOf(msg);
      if (!shaped.batch) {
        const response = await run(shaped.item);
        if (response) send(socket, response);
        return;
      }
      // A batch of notifications only gets no answer at all (section 6).
      const responses = (await Promise.all(shaped.items.map(run))).filter((r) => r !== null);
      if (responses.length > 0) send(socket, responses);
    } catch (err) {
      log.error({ err, trigger: 'rpc' }, 'rpc dispatch failed');
    }
  };

  // The folder is 0700 already; the umask closes the gap between bind() and chmod().
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  server.on('error', (err) => log.error({ err }, 'socket server error'));

  return {
    broadcast(event) {
      const note = { jsonrpc: '2.0', method: EVENT_METHOD, params: event };
      for (const s of sockets) send(s, note);
    },
    connectionCount: () => sockets.size,
    close() {
      return new Promise((resolve) => {
        for (const s of sockets) s.end();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
