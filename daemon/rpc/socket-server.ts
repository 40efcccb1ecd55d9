// The Unix socket: accept, frame lines, hand each to the JSON-RPC server, broadcast events.
// A bad line gets its JSON-RPC error and the connection goes on; nothing a peer sends can stop
// the daemon.
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createJSONRPCErrorResponse, JSONRPCErrorCode, type JSONRPCServer } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { readLines, writeLine } from '../protocol/framing.js';
import { EVENT_METHOD, type DaemonEvent } from '../protocol/protocol.js';

export interface SocketServer {
  broadcast(event: DaemonEvent): void;
  connectionCount(): number;
  close(): Promise<void>;
}

export async function listenSocket(path: string, rpc: JSONRPCServer, log: Logger): Promise<SocketServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // a client that vanished mid-write
    readLines(socket, {
      onLine: (line) => void answer(socket, line),
      onOverflow: () => writeLine(socket, createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, 'Parse error: line too long')),
    });
  });
  const answer = async (socket: Socket, line: string) => {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      writeLine(socket, createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, 'Parse error'));
      return;
    }
    if (typeof msg !== 'object' || msg === null) {
      writeLine(socket, createJSONRPCErrorResponse(null, JSONRPCErrorCode.InvalidRequest, 'Invalid Request'));
      return;
    }
    try {
      const response = await rpc.receive(msg as never);
      if (response) writeLine(socket, response);
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
      for (const s of sockets) writeLine(s, note);
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
