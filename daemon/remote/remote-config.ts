// config.json's "remote" object (the contract's "Engines"): the servers a remote engine fronts,
// checked whole when the daemon starts, so a mistake is said once with its fix. Pure.
import { isAbsolute } from 'node:path';
import { MAX_CONTEXT_WINDOW } from '../context-bounds.js';

export interface RemoteConfig {
  /** In the order requests try them while they are healthy. */
  urls: string[];
  /** A file holding the upstream's token (mode 0600); read when the engine is loaded. */
  tokenFile: string | null;
  /** A PEM file of the private CA the upstreams' TLS certificates chain to. */
  caFile: string | null;
  /** The upstream's model id; null: the first its /v1/models lists. */
  model: string | null;
  /** The prompt-token window; null: what the upstreams report (the smallest of them). */
  contextWindow: number | null;
  /** Requests that go upstream at once (a cluster serves many; a local engine gets 1). */
  concurrency: number;
  /** How an upstream is checked: its health route (falling back to a one-token request where it
   *  has none), or always a one-token request (a router that answers /health for a dead engine). */
  probe: 'health' | 'messages';
  /** Between probes of a healthy upstream. */
  probeIntervalMs: number;
  /** A probe unanswered this long fails. */
  probeTimeoutMs: number;
  /** How long a request refused for overload (429, 503, 529) is retried before the client hears 529. */
  overloadRetryMs: number;
}

export const REMOTE_DEFAULTS = Object.freeze({
  concurrency: 8,
  probe: 'health' as const,
  probeIntervalMs: 10_000,
  probeTimeoutMs: 5000,
  overloadRetryMs: 30_000,
});

const KNOWN = ['urls', 'tokenFile', 'caFile', 'model', 'contextWindow', 'concurrency', 'probe', 'probeIntervalMs', 'probeTimeoutMs', 'overloadRetryMs'];
const MAX_URLS = 16;
const MAX_TEXT = 2048;

export class RemoteConfigError extends Error {}

function problem(msg: string): never {
  throw new RemoteConfigError(`remote: ${msg}`);
}

/** An upstream URL as requests use it: http(s), no credentials, no query, no trailing slash. */
export function upstreamUrl(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_TEXT) problem('each of urls must be a URL such as "https://inference.example:8443"');
  let u: URL;
  // Not echoed: a URL that does not parse may still hold a secret.
  try { u = new URL(raw); } catch { problem('an entry of urls is not a URL (such as "https://inference.example:8443")'); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') problem(`${u.protocol} is not served; use http:// or https://`);
  // A secret in the URL would be printed wherever the URL is (status, logs): it belongs in tokenFile.
  if (u.username || u.password) problem(`${u.host}: put the credentials in tokenFile, not in the URL`);
  if (u.search || u.hash) problem(`${u.host}: the URL takes no query or fragment`);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

function optionalPath(v: unknown, key: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !isAbsolute(v) || v.length > MAX_TEXT || v.includes('\0')) problem(`${key} must be an absolute path`);
  return v;
}

function intIn(v: unknown, key: string, min: number, max: number, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) problem(`${key} is ${String(JSON.stringify(v)).slice(0, 60)}; it must be a whole number from ${min} to ${max}`);
  return v;
}

export function parseRemoteConfig(raw: unknown): RemoteConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) problem('must be an object with "urls"');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) problem(`unknown setting "${k.slice(0, 60)}" (known: ${KNOWN.join(', ')})`);
  const urls = typeof o.urls === 'string' ? [o.urls] : o.urls;
  if (!Array.isArray(urls) || urls.length === 0) problem('urls must list one or more upstream URLs');
  if (urls.length > MAX_URLS) problem(`urls lists ${urls.length} upstreams; at most ${MAX_URLS}`);
  const parsed = urls.map(upstreamUrl);
  const dup = parsed.find((u, i) => parsed.indexOf(u) !== i);
  if (dup) problem(`${dup} is listed twice`);
  if (o.model !== undefined && o.model !== null && (typeof o.model !== 'string' || o.model.length === 0 || o.model.length > MAX_TEXT)) problem('model must be the upstream\'s model id');
  if (o.probe !== undefined && o.probe !== null && o.probe !== 'health' && o.probe !== 'messages') problem('probe must be "health" or "messages"');
  return {
    urls: parsed,
    tokenFile: optionalPath(o.tokenFile, 'tokenFile'),
    caFile: optionalPath(o.caFile, 'caFile'),
    model: typeof o.model === 'string' ? o.model : null,
    contextWindow: o.contextWindow === undefined || o.contextWindow === null ? null : intIn(o.contextWindow, 'contextWindow', 1024, MAX_CONTEXT_WINDOW, 0),
    concurrency: intIn(o.concurrency, 'concurrency', 1, 256, REMOTE_DEFAULTS.concurrency),
    probe: (o.probe as RemoteConfig['probe'] | null | undefined) ?? REMOTE_DEFAULTS.probe,
    probeIntervalMs: intIn(o.probeIntervalMs, 'probeIntervalMs', 50, 3_600_000, REMOTE_DEFAULTS.probeIntervalMs),
    probeTimeoutMs: intIn(o.probeTimeoutMs, 'probeTimeoutMs', 50, 120_000, REMOTE_DEFAULTS.probeTimeoutMs),
    overloadRetryMs: intIn(o.overloadRetryMs, 'overloadRetryMs', 0, 600_000, REMOTE_DEFAULTS.overloadRetryMs),
  };
}
