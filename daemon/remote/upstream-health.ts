// What cclocald knows of each upstream, and the decisions made from it: healthy or not, when to
// probe next, which one a request goes to, what window holds for all of them. Pure.
import type { UpstreamStatus } from '../protocol/protocol.js';
import type { AuthStyle } from './upstream-auth.js';
import type { UpstreamModel } from './upstream-models.js';
import type { ProbeResult } from './upstream-probe.js';

export interface Upstream {
  readonly url: string;
  healthy: boolean;
  /** Numbers each healthy spell (a fresh one when it comes back), so a request that saw it fail
   *  tells the spell it failed in from the next (ReadyEngine.gen). 0 before the first. */
  gen: number;
  /** Probes failed in a row (backoff grows with it). */
  failures: number;
  latencyMs: number | null;
  lastError: string | null;
  checkedAt: number | null;
  /** null: it lists no models (no /v1/models route). */
  models: UpstreamModel[] | null;
  /** Prompt tokens the upstream reports it holds for the model in use. */
  window: number | null;
  authStyle: AuthStyle | null;
}

export function newUpstream(url: string): Upstream {
  return { url, healthy: false, gen: 0, failures: 0, latencyMs: null, lastError: null, checkedAt: null, models: null, window: null, authStyle: null };
}

/** Why a healthy answer still cannot serve: the model asked for is not among those it lists. */
export function modelProblem(models: UpstreamModel[] | null, model: string | null): string | null {
  if (model === null) return models && models.length > 0 ? null : 'it lists no models; set remote.model in config.json';
  if (models === null || models.some((m) => m.id === model)) return null;
  const listed = models.slice(0, 8).map((m) => m.id).join(', ');
  return `it does not serve ${model} (it serves ${listed || 'nothing'})`;
}

/** The upstream after a probe; `became` says whether its health flipped. */
export function afterProbe(u: Upstream, r: ProbeResult, model: string | null, now: number, nextGen: () => number): { became: 'healthy' | 'unhealthy' | null } {
  u.checkedAt = now;
  u.latencyMs = r.latencyMs ?? u.latencyMs;
  const problem = r.ok ? modelProblem(r.models, model ?? r.models?.[0]?.id ?? null) : r.error;
  if (r.ok) {
    u.models = r.models;
    u.authStyle = r.authStyle;
    const id = model ?? r.models?.[0]?.id ?? null;
    u.window = r.models?.find((m) => m.id === id)?.window ?? r.window;
  }
  if (problem === null) {
    const was = u.healthy;
    u.failures = 0;
    u.lastError = r.ok ? r.busy : null;
    u.healthy = true;
    if (!was) u.gen = nextGen();
    return { became: was ? null : 'healthy' };
  }
  return markFailed(u, problem, now);
}

/** A probe or a request found it failing. */
export function markFailed(u: Upstream, why: string, now: number): { became: 'unhealthy' | null } {
  const was = u.healthy;
  u.failures++;
  u.lastError = why;
  u.checkedAt = now;
  u.healthy = false;
  return { became: was ? 'unhealthy' : null };
}

/** Until the next probe: the interval while healthy; while not, a backoff from a quarter second
 *  doubling up to three intervals (an upstream that is down is asked less and less often). */
export function probeDelay(u: Upstream, intervalMs: number): number {
  if (u.healthy) return intervalMs;
  const base = Math.min(250, intervalMs);
  return Math.min(3 * intervalMs, base * 2 ** Math.min(20, Math.max(0, u.failures - 1)));
}

/** The healthy upstreams a request may go to, in the configured order, without `skip`'s spells. */
export function candidates(ups: readonly Upstream[], skip: ReadonlySet<number>): Upstream[] {
  return ups.filter((u) => u.healthy && !skip.has(u.gen));
}

/** The window enforced: the configured one, else the smallest any healthy upstream reports (a
 *  request may fail over to any of them), else `fallback`. */
export function windowFor(ups: readonly Upstream[], configured: number | null, fallback: number): number {
  if (configured !== null) return configured;
  const reported = ups.filter((u) => u.healthy && u.window !== null).map((u) => u.window!);
  return reported.length ? Math.min(...reported) : fallback;
}

export function upstreamStatus(u: Upstream): UpstreamStatus {
  return { url: u.url, healthy: u.healthy, latencyMs: u.latencyMs, lastError: u.lastError, contextWindow: u.window, checkedAt: u.checkedAt === null ? null : new Date(u.checkedAt).toISOString() };
}
