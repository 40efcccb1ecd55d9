// An upstream's failure in words a person can act on (status, logs, the client's error). Pure.
import { engineErrorMessage } from '../endpoint/anthropic-errors.js';

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
]);

export function networkError(err: unknown, timeoutMs: number): string {
  const e = err as NodeJS.ErrnoException & { name?: string };
  const code = e?.code ?? '';
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || code === 'ABORT_ERR') return `no answer within ${timeoutMs} ms`;
  if (TLS_CODES.has(code)) return `its TLS certificate is not trusted (${e.message}); if it is signed by a private CA, set remote.caFile to that CA's PEM file`;
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens there)';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `its host name does not resolve (${code})`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `the network cannot reach it (${code})`;
  if (code === 'ETIMEDOUT') return 'the connection timed out';
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(e?.message ?? '')) return 'TLS failed: is the URL https:// for a server that speaks plain HTTP (or the reverse)?';
  return (e?.message || String(err)).slice(0, 300);
}

export function statusError(path: string, status: number, text: string): string {
  if (status === 401 || status === 403) return `${path} refused the credentials (${status}): check remote.tokenFile`;
  const said = engineErrorMessage(text).slice(0, 200);
  return `${path} answered ${status}${said ? `: ${said}` : ''}`;
}
