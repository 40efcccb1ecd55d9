// After a hard death of the daemon (SIGKILL, a crash), its engine may still be running in its own
// process group. Before anything else starts, find it from engine.json and either adopt it
// (healthy, serving the model we would load) or stop it: never two multi-GB engines at once.
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { adoptEngine, isProcessAlive, probeHealthy } from './engine/engine-process.js';
import { HEALTH_PATH } from './engine/vllm-mlx.js';
import type { Notifier } from './notify.js';
import { commandLineOf } from './platform/ps.js';
import { resolveModel } from './protocol/catalog.js';
import type { DaemonEvent } from './protocol/protocol.js';
import { readEngineRecord, removeFile, type PersistedState } from './state-store.js';
import type { Supervisor } from './supervisor/supervisor.js';

export type Recovery = 'none' | 'adopted' | 'stopped';

export async function recoverOrphanEngine(d: {
  config: Config; log: Logger; persisted: PersistedState; supervisor: Supervisor; notifier: Notifier;
  emit(e: Extract<DaemonEvent, { type: 'recovered' }> extends infer E ? Omit<E, 'at'> : never): void;
}): Promise<Recovery> {
  const { paths } = d.config;
  const rec = readEngineRecord(paths.engineRecord);
  if (!rec) return 'none';
  const cmd = isProcessAlive(rec.pid) ? await commandLineOf(rec.pid) : null;
  // A recycled pid (after a reboot) is somebody else's process: leave it alone.
  if (!cmd || !cmd.includes('serve') || !cmd.includes(rec.model)) {
    removeFile(paths.engineRecord);
    return 'none';
  }
  const healthUrl = `http://127.0.0.1:${rec.port}${HEALTH_PATH}`;
  const handle = adoptEngine(rec.pid, paths.engineLog, healthUrl, d.config.healthPollMs);
  const model = resolveModel(rec.model);
  const wanted = d.config.autoload && d.persisted.lastModel === rec.model;
  if (model && wanted && (await probeHealthy(healthUrl))) {
    await d.supervisor.adopt(handle, model, rec.port, rec.bin);
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
