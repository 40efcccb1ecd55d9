// The JSON-RPC 2.0 request shape, checked before json-rpc-2.0 sees a message: the library takes
// `"method": 5` for an unknown method, echoes object, array and boolean ids, and answers a batch
// of invalid elements with one error (https://www.jsonrpc.org/specification, sections 4 and 6).
// Pure: a parsed line in, what to run and what to answer out.
import { createJSONRPCErrorResponse, JSONRPCErrorCode, type JSONRPCErrorResponse, type JSONRPCRequest } from 'json-rpc-2.0';

/** One element: a request to run, or the -32600 answer it gets instead. */
export type Checked = { request: JSONRPCRequest } | { invalid: JSONRPCErrorResponse };

/** A line is one request or a batch; an answer to a batch is an array (section 6). */
export type Shaped = { batch: false; item: Checked } | { batch: true; items: Checked[] };

const isId = (v: unknown): v is string | number | null => typeof v === 'string' || typeof v === 'number' || v === null;

const invalid = (id: unknown): Checked => ({
  invalid: createJSONRPCErrorResponse(isId(id) ? id : null, JSONRPCErrorCode.InvalidRequest, 'Invalid Request'),
});

export function checkRequest(msg: unknown): Checked {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return invalid(null);
  const m = msg as Record<string, unknown>;
  // The spec's error id is null when the id itself could not be read.
  if ('id' in m && !isId(m.id)) return invalid(null);
  if (m.jsonrpc !== '2.0' || typeof m.method !== 'string') return invalid(m.id);
  // Params are structured (an object or an array). null is let through: the methods read it as none.
  if (m.params !== undefined && m.params !== null && typeof m.params !== 'object') return invalid(m.id);
  if ('result' in m || 'error' in m) return invalid(m.id);
  return { request: m as unknown as JSONRPCRequest };
}

export function shapeOf(msg: unknown): Shaped {
  if (!Array.isArray(msg)) return { batch: false, item: checkRequest(msg) };
  // An empty batch is itself one invalid request, answered with a single error.
  if (msg.length === 0) return { batch: false, item: invalid(null) };
  return { batch: true, items: msg.map(checkRequest) };
}
