// What a remote load needs before anything is stopped or started: the configuration, the window
// asked for, and the token and CA files read and checked. A load that cannot work is refused here,
// so the engine that serves keeps serving. Reads files; decides nothing else.
import { readFileSync } from 'node:fs';
import { MAX_CONTEXT_WINDOW } from '../context-bounds.js';
import { DaemonError, engineFailed, invalidParams } from '../errors.js';
import type { RemoteConfig } from './remote-config.js';
import { readTokenFile, TokenFileError } from './upstream-auth.js';

export interface PreparedLoad {
  cfg: RemoteConfig;
  /** The model asked for, else the configured one; null: the first the upstreams list. */
  asked: string | null;
  contextWindow: number | undefined;
  token: string | null;
  ca: string | null;
}

export const NO_REMOTE_HINT = 'add {"remote": {"urls": ["https://…"]}} to config.json, then `cclocald restart` (README, "In front of a team\'s servers")';

export function validWindow(n: number): number {
  if (!(Number.isInteger(n) && n >= 1024 && n <= MAX_CONTEXT_WINDOW)) throw invalidParams(`contextWindow must be an integer between 1024 and ${MAX_CONTEXT_WINDOW}`);
  return n;
}

/** Throws a DaemonError with the fix when the load cannot work. */
export function prepareLoad(cfg: RemoteConfig | null, model: string | undefined, contextWindow: number | undefined): PreparedLoad {
  if (!cfg) throw engineFailed('no remote upstreams are configured', NO_REMOTE_HINT);
  if (contextWindow !== undefined) validWindow(contextWindow);
  try {
    return {
      cfg, asked: model || cfg.model, contextWindow,
      token: cfg.tokenFile ? readTokenFile(cfg.tokenFile) : null,
      ca: cfg.caFile ? readCa(cfg.caFile) : null,
    };
  } catch (err) {
    if (err instanceof TokenFileError) throw engineFailed(err.message, err.hint);
    if (err instanceof DaemonError) throw err;
    throw engineFailed((err as Error).message);
  }
}

function readCa(path: string): string {
  let pem: string;
  try { pem = readFileSync(path, 'utf8'); } catch (err) {
    throw engineFailed(`cannot read the remote CA file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'point remote.caFile at the PEM file of the CA that signed the upstreams\' certificates');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw engineFailed(`the remote CA file ${path} holds no PEM certificate`, 'point remote.caFile at a PEM file (-----BEGIN CERTIFICATE-----)');
  return pem;
}

/** A token sent in the clear over a network: worth a warning in the log. */
export function plaintextTokenUrls(p: PreparedLoad): string[] {
  if (p.token === null) return [];
  return p.cfg.urls.filter((u) => {
    const { protocol, hostname } = new URL(u);
    return protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname);
  });
}
