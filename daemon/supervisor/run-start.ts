// One engine start, from the launch plan to a spawned, marked and recorded process. It decides
// nothing about states: the supervisor passes `spawned`, which runs the moment a process exists
// (before any await, so no one sees the last engine's "ready" meanwhile), and reads the outcome.
// Nothing here throws: every failure comes back as the reason a person can act on.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { DaemonError, isTransient, startFailure } from '../errors.js';
import { startEngine, type EngineExit, type EngineHandle, type EngineSpec } from '../engine/engine-process.js';
import type { EngineKind } from '../engine/kind.js';
import { OWNER_VAR, ownerMark } from '../engine/owner-mark.js';
import { processFacts } from '../platform/ps.js';
import type { ResolvedModel } from '../../common/catalog.js';
import { writeJsonAtomic, type EngineRecord } from '../state-store.js';
import { EngineRun } from './engine-run.js';
import { planLaunch, realPlanDeps, type LaunchPlan, type PlanDeps } from './launch-plan.js';

export interface RunStartInput {
  cfg: Config;
  kind: EngineKind;
  model: ResolvedModel;
  contextWindow: number;
  engineBin: string | null;
  gen: number;
  now(): number;
  spawn?(spec: EngineSpec): EngineHandle;
  plan?: PlanDeps;
  startStamp?(pid: number): Promise<string | null>;
}

export type RunStart =
  | { kind: 'running'; run: EngineRun; plan: LaunchPlan }
  /** The system refused the spawn for a moment (EMFILE, EAGAIN): for the restart policy. */
  | { kind: 'refused'; exit: EngineExit }
  /** It cannot start; `run` is the process to end, when one was spawned. */
  | { kind: 'failed'; error: DaemonError; run: EngineRun | null };

export async function startRun(i: RunStartInput, spawned: (run: EngineRun, cached: boolean) => void): Promise<RunStart> {
  const { cfg, kind, model } = i;
  let run: EngineRun | null = null;
  try {
    const plan = await planLaunch(cfg, kind, model, i.contextWindow, i.engineBin, i.plan ?? realPlanDeps);
    if (plan instanceof DaemonError) return { kind: 'failed', error: plan, run: null };
    const runId = randomBytes(6).toString('hex');
    const env = { ...plan.env, [OWNER_VAR]: ownerMark(cfg.paths.home, runId) };
    const handle = (i.spawn ?? startEngine)({ bin: plan.bin, argv: plan.argv, env, logPath: cfg.paths.engineLog, healthUrl: plan.url + kind.healthPath, isReady: kind.isReady, healthPollMs: cfg.healthPollMs });
    if (handle.pid <= 0) {
      const exit = await handle.exited;
      if (isTransient(exit.error)) return { kind: 'refused', exit };
      throw exit.error ?? new Error(exit.logTail);
    }
    run = new EngineRun(i.gen, kind, handle, model, { url: plan.url, bin: plan.bin, port: plan.port, contextWindow: i.contextWindow, auth: plan.auth });
    spawned(run, plan.downloads.cached);
    // Never an engine nobody could find again: without its record a daemon that died hard would
    // start a second one beside it.
    const stamp = await (i.startStamp ?? ((pid) => processFacts(pid, OWNER_VAR, cfg.platform).then((f) => f?.startTime ?? null)))(handle.pid);
    const record: EngineRecord = { kind: kind.name, pid: handle.pid, model: model.id, port: plan.port, bin: plan.bin, startedAt: new Date(i.now()).toISOString(), runId, processStart: stamp };
    writeJsonAtomic(cfg.paths.engineRecord, record);
    return { kind: 'running', run, plan };
  } catch (err) {
    return { kind: 'failed', error: startFailure(err, cfg.paths.engineRecord), run };
  }
}
