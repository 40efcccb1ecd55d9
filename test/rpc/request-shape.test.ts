// The JSON-RPC 2.0 request shape, as a table (https://www.jsonrpc.org/specification).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRequest, shapeOf } from '../../daemon/rpc/request-shape.js';

const answerOf = (msg: unknown) => {
  const c = checkRequest(msg);
  return 'invalid' in c ? { code: c.invalid.error.code, id: c.invalid.id } : 'runs';
};

test('a request runs only with jsonrpc "2.0", a string method, a string, number or null id and structured params', () => {
  const rows: Array<[unknown, ReturnType<typeof answerOf>]> = [
    [{ jsonrpc: '2.0', id: 1, method: 'status' }, 'runs'],
    [{ jsonrpc: '2.0', id: 'a', method: 'status', params: {} }, 'runs'],
    [{ jsonrpc: '2.0', id: null, method: 'load', params: ['gemma'] }, 'runs'],
    [{ jsonrpc: '2.0', method: 'status' }, 'runs'], // a notification
    [{ jsonrpc: '2.0', id: 2, method: 5 }, { code: -32600, id: 2 }],
    [{ jsonrpc: '2.0', id: 3 }, { code: -32600, id: 3 }],
    [{ jsonrpc: '1.0', id: 4, method: 'status' }, { code: -32600, id: 4 }],
    [{ jsonrpc: '2.0', id: 5, method: 'status', params: 7 }, { code: -32600, id: 5 }],
    [{ jsonrpc: '2.0', id: 6, method: 'status', result: 1 }, { code: -32600, id: 6 }],
    [{ jsonrpc: '2.0', id: { a: 1 }, method: 'status' }, { code: -32600, id: null }],
    [{ jsonrpc: '2.0', id: [1], method: 'status' }, { code: -32600, id: null }],
    [{ jsonrpc: '2.0', id: true, method: 'status' }, { code: -32600, id: null }],
    [42, { code: -32600, id: null }],
    [null, { code: -32600, id: null }],
    [[1], { code: -32600, id: null }],
  ];
  for (const [msg, want] of rows) assert.deepEqual(answerOf(msg), want, JSON.stringify(msg));
});

test('a batch is checked element by element; an empty batch is one invalid request', () => {
  const empty = shapeOf([]);
  assert.equal(empty.batch, false);
  const nested = shapeOf([[1], [2]]);
  assert.ok(nested.batch);
  assert.deepEqual(nested.items.map((c) => ('invalid' in c ? c.invalid.error.code : 'runs')), [-32600, -32600]);
  const mixed = shapeOf([{ jsonrpc: '2.0', id: 1, method: 'status' }, { foo: 1 }]);
  assert.ok(mixed.batch);
  assert.deepEqual(mixed.items.map((c) => ('invalid' in c ? c.invalid.error.code : 'runs')), ['runs', -32600]);
});
