// How the endpoint reaches the engine: a fresh loopback connection for each request.
// Measured (bench/connection.ts): against an engine that writes a response's headers and body in
// two small writes without TCP_NODELAY (Python's http.server, cpp-httplib's default), a kept-alive
// connection stalls every JSON answer by ~40 ms: the engine's Nagle holds the body until the
// headers are ACKed, and this side's delayed ACK holds that ACK back. A new connection starts in
// quick-ACK mode, so it never waits, and on loopback it costs a fraction of a millisecond. Node
// offers no TCP_QUICKACK, so the fix lives in the connection policy.
import { Agent } from 'node:http';

export const engineAgent = new Agent({ keepAlive: false });
