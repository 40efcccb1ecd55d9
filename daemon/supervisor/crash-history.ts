// The crashes of the current load (a new model, engine or binary starts it afresh): what the
// restart policy counts, what `status` shows. Pure bookkeeping; the policy is restart-policy.ts.
import type { CrashReason, LastCrash } from '../protocol/protocol.js';
import { decideRestart, type RestartDecision, type RestartPolicyConfig } from './restart-policy.js';

export class CrashHistory {
  #times: number[] = [];
  /** The out-of-memory crashes among them that found the window already at the floor. */
  #oomsAtFloor: number[] = [];
  #last: LastCrash | null = null;
  #restarts = 0;

  get last(): LastCrash | null { return this.#last; }
  get restarts(): number { return this.#restarts; }

  reset(): void {
    this.#times = [];
    this.#oomsAtFloor = [];
    this.#last = null;
    this.#restarts = 0;
  }

  record(reason: CrashReason, nowMs: number, facts: { detail: string; exitCode: number | null; signal: string | null }): void {
    this.#last = { reason, at: new Date(nowMs).toISOString(), ...facts };
    this.#times.push(nowMs);
  }

  oomAtFloor(nowMs: number): void { this.#oomsAtFloor.push(nowMs); }

  restarted(): void { this.#restarts++; }

  decide(nowMs: number, policy: RestartPolicyConfig): RestartDecision {
    return decideRestart(this.#times, nowMs, policy, this.#oomsAtFloor);
  }
}
