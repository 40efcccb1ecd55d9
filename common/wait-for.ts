// Waits on file-system events in $CCLOCAL_HOME rather than polling: the socket appearing,
// the pid file going away. Each wait has one deadline.
import { existsSync, watch } from 'node:fs';
import { connect } from 'node:net';

/** Whether something accepts connections on the Unix socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (ok: boolean) => { clearTimeout(timer); s.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

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
