// Recent counts per Claude Code session (x-claude-code-session-id) and, within one, per agent
// (x-claude-code-agent-id), for `status`. Bounded both ways, least recently active out first:
// a daemon that runs for weeks keeps a few hundred numbers, not a history.
import type { SessionCount } from '../protocol/protocol.js';
import type { RequestRecord } from './request-record.js';

export const MAX_SESSIONS = 20;
export const MAX_AGENTS = 20;
/** The agent key of a request without x-claude-code-agent-id: the session's main loop. */
export const MAIN_AGENT = 'main';

interface Entry { requests: number; errors: number; lastAt: number; agents: Map<string, number> }

export class SessionCounts {
  /** In order of last activity, oldest first (a Map keeps insertion order; touched → re-inserted). */
  readonly #sessions = new Map<string, Entry>();

  constructor(readonly maxSessions = MAX_SESSIONS, readonly maxAgents = MAX_AGENTS) {}

  record(r: Pick<RequestRecord, 'session' | 'agent' | 'status' | 'at' | 'durationMs'>): void {
    if (r.session === null) return;
    const e = this.#sessions.get(r.session) ?? { requests: 0, errors: 0, lastAt: 0, agents: new Map<string, number>() };
    this.#sessions.delete(r.session);
    this.#sessions.set(r.session, e);
    e.requests++;
    if (r.status >= 400 && r.status !== 499) e.errors++;
    e.lastAt = Math.max(e.lastAt, r.at + r.durationMs);
    const agent = r.agent ?? MAIN_AGENT;
    const n = e.agents.get(agent) ?? 0;
    e.agents.delete(agent);
    e.agents.set(agent, n + 1);
    if (e.agents.size > this.maxAgents) e.agents.delete(e.agents.keys().next().value!);
    if (this.#sessions.size > this.maxSessions) this.#sessions.delete(this.#sessions.keys().next().value!);
  }

  /** Most recently active first; agents likewise. */
  list(): SessionCount[] {
    return [...this.#sessions].reverse().map(([session, e]) => ({
      session, requests: e.requests, errors: e.errors, lastAt: new Date(e.lastAt).toISOString(),
      agents: Object.fromEntries([...e.agents].reverse()),
    }));
  }
}
