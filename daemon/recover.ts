// After a hard death of the daemon (SIGKILL, a crash), its engine may still be running in its own
// process group. Before anything else starts, find it (from engine.json, else by the mark only
// this home's daemon puts on its engine) and either adopt it (healthy, serving the model we would
// load) or stop it: never two multi-GB engines at once, and never a process not provably ours.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { adoptEngine, probeReady, stopLeftover } from './engine/engine-process.js';
import type { EngineKind } from './engine/kind.js';
import type { Notifier } from './notify.js';
import { OWNER_VAR, isMarkOfHome, ownerMark } from './engine/owner-mark.js';
import { processesWithEnv, processFacts } from './platform/ps.js';
import type { DaemonEvent, EngineKindName } from './protocol/protocol.js';
import { readEngineRecord, removeFile, type EngineRecord, type PersistedState } from './state-store.js';
import { engineAuth } from './supervisor/launch-plan.js';
import { autoloadTarget } from './supervisor/model-settings.js';
import type { Supervisor } from './supervisor/supervisor.js';

export type Recovery = 'none' | 'adopted' | 'stopped';

/** The key the previous daemon gave its engine, if it gave one. */
function readKey(path: string): string | null {
  try { return readFileSync(path, 'utf8').trim() || null; } catch { return null; }
}

type RecoverDeps = {
  config: Config; log: Logger; persisted: PersistedState; supervisor: Supervisor; notifier: Notifier;
  engines(name: EngineKindName): EngineKind;
  emit(e: Extract<DaemonEvent, { type: 'recovered' }> extends infer E ? Omit<E, 'at'> : never): void;
};

/** The recorded process, if it is provably the run the record describes: our mark with its run
 *  id, the same start stamp, leading its own group, with this kind's command line. */
async function recordedRun(rec: EngineRecord, kind: EngineKind, cfg: Config): Promise<boolean> {
  if (!rec.runId || !rec.processStart) return false;
  const facts = await processFacts(rec.pid, OWNER_VAR, cfg.platform);
  return !!facts && facts.envValue === ownerMark(cfg.paths.home, rec.runId) && facts.startTime === rec.processStart
    && facts.pgid === rec.pid && kind.isOwnLeftover(facts.commandLine, rec);
}

export async function recoverOrphanEngine(d: RecoverDeps): Promise<Recovery> {
  const { paths } = d.config;
  const rec = readEngineRecord(paths.engineRecord);
  let result: Recovery = 'none';
  let kept: number | null = null;
  if (rec) {
    // Records from before there were two kinds describe vllm-mlx.
    const kind = d.engines(rec.kind ?? 'vllm-mlx');
    if (!(await recordedRun(rec, kind, d.config))) {
      // A recycled pid, a look-alike, another home's engine, or a record of an older cclocald
      // without a mark: nothing we may signal. Leftovers of ours are found by their mark below.
      d.log.info({ pid: rec.pid, model: rec.model }, 'engine.json names no engine of this home; leaving that process alone');
      removeFile(paths.engineRecord);
    } else {
      result = await adoptOrStop(d, rec, kind);
      if (result === 'adopted') kept = rec.pid;
    }
  }
  // Engines no record names (it could not be written, or was lost in a hard death): our mark
  // finds them; never two multi-GB engines at once.
  for (const pid of await markedLeaders(d.config, kept)) {
    const exit = await stopLeftover(pid, paths.engineLog, d.config.healthPollMs, d.config.stopGraceMs);
    d.log.warn({ pid, exitCode: exit.exitCode }, 'stopped an engine of this home that no record named');
    d.emit({ type: 'recovered', model: rec?.model ?? '(unrecorded)', action: 'stopped', pid });
    d.notifier.notify(`cclocald stopped a leftover engine of its own (pid ${pid})`);
    if (result === 'none') result = 'stopped';
  }
  return result;
}

/** Group leaders (else lone processes) carrying this home's mark, apart from the one kept. */
async function markedLeaders(cfg: Config, kept: number | null): Promise<number[]> {
  const marked = await processesWithEnv(OWNER_VAR, (v) => isMarkOfHome(v, cfg.paths.home), cfg.platform);
  const out: number[] = [];
  for (const pid of marked) {
    const facts = await processFacts(pid, OWNER_VAR, cfg.platform);
    if (!facts || facts.pgid === kept || pid === kept) continue;
    // A worker whose leader is on the list goes down with its group.
    if (facts.pgid !== pid && marked.includes(facts.pgid)) continue;
    out.push(pid);
  }
  return out;
}

async function adoptOrStop(d: RecoverDeps, rec: EngineRecord, kind: EngineKind): Promise<Recovery> {
  const { paths } = d.config;
  const healthUrl = `http://127.0.0.1:${rec.port}${kind.healthPath}`;
  const handle = adoptEngine(rec.pid, paths.engineLog, healthUrl, kind.isReady, d.config.healthPollMs);
  const model = kind.resolveModel(rec.model);
  const again = autoloadTarget(d.persisted, d.config.engine);
  const wanted = d.config.autoload && again?.model === rec.model && again.engine === kind.name;
  if (model && wanted && (await probeReady(healthUrl, kind.isReady))) {
    await d.supervisor.adopt(handle, kind, model, rec.port, rec.bin, engineAuth(readKey(paths.engineKey)));
    d.log.warn({ pid: rec.pid, model: rec.model }, 'adopted the engine a previous daemon left running');
    d.emit({ type: 'recovered', model: rec.model, action: 'adopted', pid: rec.pid });
    d.notifier.notify(`cclocald restarted and kept ${rec.model} running (pid ${rec.pid})`);
    return 'adopted';
  }
  await handle.stop(d.config.stopGraceMs);
  removeFile(paths.engineRecord);
  d.log.warn({ pid: rec.pid, model: rec.model }, 'stopped an engine a previous daemon left behind');
  d.emit({ type: 'recovered', model: rec.model, action: 'stopped', pid: rec.pid });
  d.notifier.notify(`cclocald restarted and stopped a leftover engine (pid ${rec.pid})`);
  return 'stopped';
}
