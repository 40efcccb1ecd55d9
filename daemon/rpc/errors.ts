// DaemonError → JSON-RPC error object. Anything else is a bug: logged with its stack, and sent
// as "internal error" (json-rpc-2.0 would otherwise send code 0 and the raw message).
import { createJSONRPCErrorResponse, JSONRPCErrorException, type JSONRPCErrorResponse, type JSONRPCID } from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { DaemonError } from '../errors.js';
import { ErrorCode } from '../protocol/protocol.js';

export function mapError(log: Logger) {
  return (id: JSONRPCID, err: unknown): JSONRPCErrorResponse => {
    if (err instanceof DaemonError) return createJSONRPCErrorResponse(id, err.code, err.message, err.data);
    if (err instanceof JSONRPCErrorException) return createJSONRPCErrorResponse(id, err.code, err.message, err.data);
    log.error({ err, trigger: 'rpc' }, 'rpc method failed');
    return createJSONRPCErrorResponse(id, ErrorCode.Internal, 'internal error; see logs/daemon.log', { reason: 'internal' });
  };
}
