// How the endpoint reaches an engine: plain HTTP on loopback for a local one, HTTP or HTTPS for a
// remote one, trusting a private CA when one is configured. Plain HTTP opens a fresh connection per
// request, remote or not (engine-connection.ts says why): measured in bench/remote.ts against a
// llama-server on a core of its own, kept-alive connections cut 8 concurrent streams to ×0.58 of
// direct, fresh ones gave ×1.10; a LAN connect costs one round trip. HTTPS keeps its connections:
// a handshake per request would cost more than a short answer, and TLS terminators set TCP_NODELAY.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { engineAgent } from './engine-connection.js';

export interface Transport {
  /** Starts a request to `base` + `path` (base may carry a path prefix, as a LiteLLM route does). */
  request(base: string, path: string, options: RequestOptions, onResponse?: (res: IncomingMessage) => void): ClientRequest;
  /** Closes kept-alive connections (the engine was unloaded or replaced). */
  close(): void;
}

export function joinUrl(base: string, path: string): URL {
  return new URL(base.replace(/\/+$/, '') + path);
}

/** The local engine's: loopback HTTP, no keep-alive. */
export const loopbackTransport: Transport = {
  request: (base, path, options, onResponse) => httpRequest(joinUrl(base, path), { ...options, agent: engineAgent }, onResponse),
  close: () => undefined,
};

/** A remote engine's; `ca` (PEM) is trusted besides the public roots, so a list that mixes a
 *  private upstream with a public one works. */
export function remoteTransport(ca: string | null, maxSockets: number): Transport {
  const http = new HttpAgent({ keepAlive: false, maxSockets });
  // An idle connection is let go after 4 s, before the servers' own keep-alive (uvicorn's 5 s) can
  // close it under a request; the agent ends only idle sockets on that timeout, never one in use.
  const https = new HttpsAgent({ keepAlive: true, maxSockets, timeout: 4000, ...(ca ? { ca: [...rootCertificates, ca] } : {}) });
  return {
    request: (base, path, options, onResponse) => {
      const url = joinUrl(base, path);
      return url.protocol === 'https:'
        ? httpsRequest(url, { ...options, agent: https }, onResponse)
        : httpRequest(url, { ...options, agent: http }, onResponse);
    },
    close: () => { http.destroy(); https.destroy(); },
  };
}
