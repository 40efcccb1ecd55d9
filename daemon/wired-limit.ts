// Reverts a GPU wired limit the client raised for this model (see client/wired-limit.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Notifier } from './notify.js';
import { restoreWiredLimit } from './platform/sysctl.js';
import { removeFile } from './state-store.js';

export async function revertWiredLimit(home: string, log: Logger, notifier: Notifier): Promise<void> {
  const file = join(home, 'wired-limit.json');
  let restoreMb: number;
  try {
    restoreMb = Number((JSON.parse(readFileSync(file, 'utf8')) as { restoreMb?: unknown }).restoreMb);
  } catch {
    return; // nothing was raised
  }
  if (!Number.isInteger(restoreMb) || restoreMb < 0) { removeFile(file); return; }
  if (await restoreWiredLimit(restoreMb)) {
    log.info({ restoreMb }, 'GPU wired limit restored');
  } else {
    const cmd = `sudo sysctl iogpu.wired_limit_mb=${restoreMb}`;
    log.warn({ restoreMb }, `could not restore the GPU wired limit without a password; run: ${cmd}`);
    notifier.notify(`The GPU wired limit is still raised. Restore it with: ${cmd} (or reboot)`);
  }
  removeFile(file);
}
