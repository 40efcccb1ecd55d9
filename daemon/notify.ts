// Crash and recovery notifications for the person at the desk. A missing notifier is logged
// once and never stops anything.
import type { Logger } from 'pino';
import { sendNotification } from './platform/notifier.js';

export interface Notifier {
  notify(message: string): void;
}

export function createNotifier(opts: { platform: 'darwin' | 'linux'; enabled: boolean; log: Logger }): Notifier {
  let warnedMissing = false;
  return {
    notify(message) {
      if (!opts.enabled) return;
      void sendNotification(opts.platform, 'cclocal', message).then((outcome) => {
        if (outcome === 'missing' && !warnedMissing) {
          warnedMissing = true;
          opts.log.warn({ platform: opts.platform }, 'no desktop notifier found; crash notifications go to the log only');
        } else if (outcome === 'failed') {
          opts.log.warn({ platform: opts.platform }, 'desktop notification failed');
        }
      });
    },
  };
}
