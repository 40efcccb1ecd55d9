// `cclocald install | uninstall`, and start/stop/restart through the login service when it is
// installed, so that launchd's or systemd's view of the daemon stays true.
import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { applyPlan, describePlan, diagnose, installPlan, isInstalled, serviceSpec, uninstallPlan, type Platform, type ServicePlan } from '../../launchd/install.js';
import { LAUNCHD_LABEL, SYSTEMD_UNIT } from '../../launchd/service-spec.js';
import { launchctl, parsePrint } from '../platform/launchctl.js';
import { systemctl } from '../platform/systemctl.js';
import type { HomePaths } from '../protocol/paths.js';
import { readPidFile, START_DEADLINE_MS } from '../../common/spawn-daemon.js';
import { socketAnswers, waitForChange, waitForSocket } from '../../common/wait-for.js';
import { configuredPlatform } from '../config.js';
import { isProcessAlive } from '../../common/process-alive.js';
import { currentPaths } from './connect-home.js';

const uid = () => process.getuid?.() ?? 0;

/** This machine's platform, or the `platform` of the home's config.json (how the tests drive the
 *  macOS paths on Linux, with stand-ins for launchctl). */
export function hostPlatform(): Platform {
  return configuredPlatform(currentPaths().config);
}

/** launchd gives a stopping daemon ExitTimeOut (30 s) before SIGKILL; a little more here. */
const DAEMON_GONE_DEADLINE_MS = 35_000;
/** A killed daemon leaves its pid file: its death shows in no file event, so the pid is polled. */
const DAEMON_GONE_POLL_MS = 250;

/** Resolves once the daemon whose pid the home records has exited, or at the deadline. */
async function daemonGone(paths: HomePaths): Promise<void> {
  const end = Date.now() + DAEMON_GONE_DEADLINE_MS;
  for (;;) {
    const pid = readPidFile(paths.pid);
    if (pid === null || !isProcessAlive(pid) || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, DAEMON_GONE_POLL_MS));
  }
}

export async function installCommand(o: { dryRun?: boolean; platform?: Platform }, stopStandalone: (p: HomePaths) => Promise<{ ok: boolean; message: string }>): Promise<number> {
  const platform = o.platform ?? hostPlatform();
  const spec = serviceSpec(process.env, homedir());
  const plan = installPlan(platform, spec, uid());
  if (o.dryRun) { process.stdout.write(describePlan(plan)); return 0; }
  if (platform !== hostPlatform()) process.stderr.write(`cclocald: warning: installing a ${platform} service on a ${hostPlatform()} machine, as asked\n`);
  if (!existsSync(spec.daemonEntry)) { process.stderr.write(`cclocald: ${spec.daemonEntry} is missing; build first (./install.sh or npm run build)\n`); return 1; }
  const paths = currentPaths();
  // A daemon started by hand would make the service's daemon exit "already running": hand over.
  if (!isInstalled(platform, spec.userHome) && (await socketAnswers(paths.socket))) {
    const r = await stopStandalone(paths);
    process.stdout.write(`${r.message} (the login service takes over)\n`);
  }
  const failures = await applyPlan(plan, () => daemonGone(paths));
  // Checked, not assumed (issue #11): without a user session every systemctl --user call fails,
  // and a service manager may also accept every call and start nothing.
  const up = failures.length === 0 && (await waitForSocket(paths.home, paths.socket, START_DEADLINE_MS));
  if (!up) return undoInstall(plan, failures, paths);
  process.stdout.write(`installed ${plan.file}\ncclocald is running under the login service\n`);
  if (platform === 'linux') process.stdout.write('to keep it running when you are logged out: loginctl enable-linger $USER (see README)\n');
  return 0;
}

/** The service did not bring the daemon up: say why, in the service manager's words, and take
 *  back all that install did, so that no unit is left to refuse every later start. */
async function undoInstall(plan: ServicePlan, failures: string[], paths: HomePaths): Promise<number> {
  const why = failures.length ? failures.join('; ') : `it did not bring cclocald up within ${START_DEADLINE_MS / 1000} s`;
  process.stderr.write(`cclocald: the login service did not start: ${why}\n${await diagnose(plan.platform, uid(), homedir())}\n`);
  await applyPlan(uninstallPlan(plan.platform, homedir(), uid()), () => daemonGone(paths));
  rmSync(plan.file, { force: true }); // also when the service manager could not be reached at all
  process.stderr.write(`cclocald: nothing is left installed (${plan.file} removed); cclocal starts cclocald without the service (\`cclocald start\`)\n`);
  if (plan.platform === 'linux') process.stderr.write(`  hint: systemd user services need a user session: most containers and WSL have none, and an ssh login keeps one only with \`loginctl enable-linger $USER\`\n`);
  return 1;
}

export async function uninstallCommand(o: { dryRun?: boolean; platform?: Platform }, stopStandalone: (p: HomePaths) => Promise<{ ok: boolean; message: string }>): Promise<number> {
  const platform = o.platform ?? hostPlatform();
  const plan = uninstallPlan(platform, homedir(), uid());
  if (o.dryRun) { process.stdout.write(describePlan(plan)); return 0; }
  if (!isInstalled(platform, homedir())) { process.stdout.write('no login service is installed\n'); return 0; }
  const failures = await applyPlan(plan, () => daemonGone(currentPaths()));
  for (const f of failures) process.stderr.write(`cclocald: ${f}\n`);
  // bootout / disable --now stop the daemon; one still answering was started by hand.
  const paths = currentPaths();
  if (await socketAnswers(paths.socket)) await stopStandalone(paths);
  process.stdout.write(`removed ${plan.file}\n`);
  return failures.length ? 1 : 0;
}

/** Where the service cannot run (no user session: a container, WSL, ssh without lingering), every
 *  start goes through it and fails until it is removed (issue #11). */
const WITHOUT_SERVICE = '\n  hint: if the login service cannot run here, remove it with `cclocald uninstall`: cclocal then starts cclocald itself';

/** start/stop/restart through the service; null when no service is installed. */
export async function serviceAction(action: 'start' | 'stop' | 'restart'): Promise<{ ok: boolean; message: string } | null> {
  const platform = hostPlatform();
  const file = isInstalled(platform, homedir());
  if (!file) return null;
  const paths = currentPaths();
  const before = readPidFile(paths.pid);
  let r;
  if (platform === 'darwin') {
    if (action === 'stop') return null; // a clean exit over the socket: launchd keeps the agent, not running
    r = await launchctl.run(launchctl.argv.kickstart(uid(), LAUNCHD_LABEL, action === 'restart'));
    if (!r.ok && action === 'start') r = await launchctl.run(launchctl.argv.bootstrap(uid(), file));
  } else {
    // Past the start limit (five failed starts) systemd refuses until the failure is reset.
    if (action !== 'stop') await systemctl.run(systemctl.argv.resetFailed(SYSTEMD_UNIT));
    r = await systemctl.run(action === 'start' ? systemctl.argv.start(SYSTEMD_UNIT) : action === 'stop' ? systemctl.argv.stop(SYSTEMD_UNIT) : systemctl.argv.restart(SYSTEMD_UNIT));
  }
  if (!r.ok) return { ok: false, message: `the login service refused to ${action}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}${WITHOUT_SERVICE}` };
  if (action === 'stop') return { ok: true, message: `cclocald stopped (${SYSTEMD_UNIT})` };
  // After a restart the old daemon may still answer for a moment: wait for a new pid.
  const isNew = async () => (action === 'start' || readPidFile(paths.pid) !== before) && (await socketAnswers(paths.socket));
  const up = await waitForChange(paths.home, isNew, START_DEADLINE_MS);
  return up ? { ok: true, message: `cclocald ${action === 'start' ? 'started' : 'restarted'} by the login service` } : { ok: false, message: `the login service did not bring cclocald up within ${START_DEADLINE_MS / 1000} s${WITHOUT_SERVICE}` };
}

/** One line for `cclocald status`: installed or not, which file, loaded and running. */
export async function serviceLine(): Promise<string> {
  const platform = hostPlatform();
  const file = isInstalled(platform, homedir());
  if (!file) return 'login service: not installed (cclocald install)';
  if (platform === 'darwin') {
    const r = await launchctl.run(launchctl.argv.print(uid(), LAUNCHD_LABEL));
    if (!r.ok) return `login service: ${file} (not loaded)`;
    const p = parsePrint(r.stdout);
    return `login service: ${file} (loaded, ${p.running ? `running, pid ${p.pid}` : 'not running'})`;
  }
  const r = await systemctl.run(systemctl.argv.isActive(SYSTEMD_UNIT));
  return `login service: ${file} (${r.stdout.trim() || 'unknown'})`;
}
