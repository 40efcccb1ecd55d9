// After a hard death of the daemon (SIGKILL, a crash), its engine may still be running in its own
// process group. Before anything else starts, find it from engine.json and either adopt it
// (healthy, serving the model we would load) or stop it: never two multi-GB engines at once.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { isProcessAlive } from '../common/process-alive.js';
import { adoptEngine, probeReady } from './engine/engine-process.js';
import type { EngineKind } from './engine/kind.js';
import type { Notifier } from './notify.js';
import { commandLineOf } from './platform/ps.js';
import type { DaemonEvent, EngineKindName } from './protocol/protocol.js';
import { readEngineRecord, removeFile, type PersistedState } from './state-store.js';
import { engineAuth } from './supervisor/launch-plan.js';
import { autoloadTarget } from './supervisor/model-settings.js';
import type { Supervisor } from './supervisor/supervisor.js';

export type Recovery = 'none' | 'adopted' | 'stopped';

/** The key the previous daemon gave its engine, if it gave one. */
function readKey(path: string): string | null {
  try { return readFileSync(path, 'utf8').trim() || null; } catch { return null; }
}

export async function recoverOrphanEngine(d: {
  config: Config; log: Logger; persisted: PersistedState; supervisor: Supervisor; notifier: Notifier;
  engines(name: EngineKindName): EngineKind;
  emit(e: Extract<DaemonEvent, { type: 'recovered' }> extends infer E ? Omit<E, 'at'> : never): void;
}): Promise<Recovery> {
  const { paths } = d.config;
  const rec = readEngineRecord(paths.engineRecord);
  if (!rec) return 'none';
  // Records from before there were two kinds describe vllm-mlx.
  const kind = d.engines(rec.kind ?? 'vllm-mlx');
  const cmd = isProcessAlive(rec.pid) ? await commandLineOf(rec.pid) : null;
  // A recycled pid (after a reboot) is somebody else's process: leave it alone.
  if (!cmd || !kind.isOwnLeftover(cmd, rec)) {
    removeFile(paths.engineRecord);
    return 'none';
  }
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
