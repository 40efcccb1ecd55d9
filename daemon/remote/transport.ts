// How the endpoint reaches an engine: plain HTTP on loopback for a local one (a fresh connection
// per request, engine-connection.ts says why), HTTP or HTTPS with kept-alive connections for a
// remote one (a TLS handshake per request would cost more than a short answer), trusting a
// private CA when one is configured.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { engineAgent } from '../endpoint/engine-connection.js';

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
  const http = new HttpAgent({ keepAlive: true, maxSockets, timeout: 120_000 });
  const https = new HttpsAgent({ keepAlive: true, maxSockets, timeout: 120_000, ...(ca ? { ca: [...rootCertificates, ca] } : {}) });
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
