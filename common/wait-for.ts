// Waits on file-system events in $CCLOCAL_HOME rather than polling: the socket appearing,
// the pid file going away. Each wait has one deadline, and may be called off with a signal.
import { existsSync, watch, type FSWatcher } from 'node:fs';
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

/** A folder that cannot be watched (not made yet: a first start, a login service that never ran
 *  the daemon; issue #11) is checked this often until it can be. */
const UNWATCHABLE_POLL_MS = 100;

export function waitForChange(dir: string, check: () => Promise<boolean>, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let checking = false;
    let again = false;
    let watcher: FSWatcher | null = null;
    let poll: NodeJS.Timeout | null = null;
    const arm = () => {
      try {
        watcher = watch(dir, () => void run());
        watcher.on('error', () => { watcher?.close(); watcher = null; poll ??= setInterval(arm, UNWATCHABLE_POLL_MS); });
        if (poll) { clearInterval(poll); poll = null; }
      } catch {
        poll ??= setInterval(arm, UNWATCHABLE_POLL_MS);
      }
      void run();
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    const onAbort = () => finish(false);
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      watcher?.close();
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    if (signal?.aborted) { finish(false); return; }
    signal?.addEventListener('abort', onAbort, { once: true });
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
    arm();
  });
}

export function waitForSocket(dir: string, socket: string, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
  return waitForChange(dir, () => (existsSync(socket) ? socketAnswers(socket) : Promise.resolve(false)), deadlineMs, signal);
}

export function waitForGone(dir: string, file: string, deadlineMs: number): Promise<boolean> {
  return waitForChange(dir, async () => !existsSync(file), deadlineMs);
}
