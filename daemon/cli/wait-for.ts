// Waits on file-system events in $CCLOCAL_HOME rather than polling: the socket appearing,
// the pid file going away. Each wait has one deadline.
import { existsSync, watch } from 'node:fs';
import { socketAnswers } from '../home.js';

export function waitForChange(dir: string, check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let checking = false;
    let again = false;
    const watcher = watch(dir, () => void run());
    const timer = setTimeout(() => finish(false), deadlineMs);
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      resolve(ok);
    };
    const run = async (): Promise<void> => {
      if (checking) { again = true; return; }
      checking = true;
      try {
        if (await check()) finish(true);
      } finally {
        checking = false;
        if (again && !settled) { again = false; void run(); }
      }
    };
    void run();
  });
}

export function waitForSocket(dir: string, socket: string, deadlineMs: number): Promise<boolean> {
  return waitForChange(dir, () => (existsSync(socket) ? socketAnswers(socket) : Promise.resolve(false)), deadlineMs);
}

export function waitForGone(dir: string, file: string, deadlineMs: number): Promise<boolean> {
  return waitForChange(dir, async () => !existsSync(file), deadlineMs);
}
