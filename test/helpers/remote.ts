// A home whose engine is `remote`, and the requests the remote tests make through its endpoint.
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { makeHome, type RunningDaemon, type TestHome } from './daemon.js';

/** Probes fast enough that a test sees health change at once; the policy itself is unit-tested. */
export const FAST_REMOTE = { probeIntervalMs: 100, probeTimeoutMs: 3000 };

export function remoteHome(t: TestContext, remote: Record<string, unknown>, config: Record<string, unknown> = {}): TestHome {
  return makeHome(t, { config: { engine: 'remote', remote: { ...FAST_REMOTE, ...remote }, ...config }, env: { CCLOCAL_ENGINE: 'remote', CCLOCAL_ENGINE_BIN: undefined } });
}

export function ask(home: TestHome, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${home.port}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, temperature: 0, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

/** The daemon's log lines for answered Messages requests. A request's line is written just after
 *  its answer leaves, in the same turn of the daemon's loop: a status round trip is the barrier. */
export async function requestLines(d: RunningDaemon): Promise<Array<{ status: number; upstream?: string; outcome: string | null }>> {
  await d.rpc.request('status');
  return readFileSync(d.home.paths.daemonLog, 'utf8').split('\n').filter((l) => l.includes('"messages request"')).map((l) => JSON.parse(l) as { status: number; upstream?: string; outcome: string | null });
}

