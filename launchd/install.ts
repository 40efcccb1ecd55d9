// `cclocald install | uninstall`: the login service file, written atomically, and the launchctl
// or systemctl commands, all through daemon/platform. --dry-run prints the file and every command
// and touches nothing.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { launchctl } from '../daemon/platform/launchctl.js';
import { systemctl } from '../daemon/platform/systemctl.js';
import { shQuote } from '../common/attach-env.js';
import { launchdLogDir, plistPath, renderPlist } from './plist.js';
import { LAUNCHD_LABEL, PASSED_ENV, SYSTEMD_UNIT, type ServiceSpec } from './service-spec.js';
import { renderUnit, unitPath } from './systemd.js';

export type Platform = 'darwin' | 'linux';

/** One step of a plan, carried out in order. */
export type Step =
  /** A launchctl or systemctl call; `mayFail`: "not loaded" is fine when unloading before a (re)load. */
  | { kind: 'run'; program: 'launchctl' | 'systemctl'; argv: string[]; mayFail?: boolean }
  /** Wait until the daemon the service ran has exited (launchd's bootout returns before that). */
  | { kind: 'waitDaemonGone' }
  | { kind: 'remove'; file: string };

export interface ServicePlan {
  platform: Platform;
  file: string;
  /** The file's new content, written before the steps; null when the plan removes it. */
  content: string | null;
  dirs: string[];
  steps: Step[];
}

const run = (program: 'launchctl' | 'systemctl', argv: string[], mayFail = false): Step => ({ kind: 'run', program, argv, ...(mayFail ? { mayFail } : {}) });

/** The daemon's stop grace (15 s default) plus teardown slack. */
const STOP_TIMEOUT_S = 30;

export function serviceSpec(env: NodeJS.ProcessEnv, userHome: string): ServiceSpec {
  const nodeDir = dirname(process.execPath);
  const path = [...new Set([nodeDir, ...(env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin', '/usr/sbin', '/sbin'])].join(':');
  const passed: Record<string, string> = {};
  for (const k of PASSED_ENV) if (env[k]) passed[k] = env[k]!;
  return {
    nodePath: process.execPath,
    // launchd and systemd run plain node: always the built entry, never the TypeScript source.
    daemonEntry: join(packageRoot(), 'dist', 'daemon', 'main.js'),
    userHome,
    path,
    env: passed,
    stopTimeoutS: STOP_TIMEOUT_S,
  };
}

export function installPlan(platform: Platform, spec: ServiceSpec, uid: number): ServicePlan {
  if (platform === 'darwin') {
    const file = plistPath(spec.userHome);
    return {
      platform, file, content: renderPlist(spec), dirs: [dirname(file), launchdLogDir(spec.userHome)],
      steps: [
        // Reinstall replaces and reloads: unload the old agent first (fails harmlessly when not
        // loaded), and let its daemon finish stopping, or bootstrap fails with "5: Input/output error".
        run('launchctl', launchctl.argv.bootout(uid, LAUNCHD_LABEL), true),
        { kind: 'waitDaemonGone' },
        run('launchctl', launchctl.argv.bootstrap(uid, file)),
      ],
    };
  }
  const file = unitPath(spec.userHome);
  return {
    platform, file, content: renderUnit(spec), dirs: [dirname(file)],
    steps: [
      run('systemctl', systemctl.argv.daemonReload()),
      run('systemctl', systemctl.argv.enable(SYSTEMD_UNIT)),
      // Past the start limit systemd refuses to start until the failure is reset.
      run('systemctl', systemctl.argv.resetFailed(SYSTEMD_UNIT), true),
      // Starts it, or restarts a daemon still running on the old unit: one start either way.
      run('systemctl', systemctl.argv.restart(SYSTEMD_UNIT)),
    ],
  };
}

export function uninstallPlan(platform: Platform, userHome: string, uid: number): ServicePlan {
  if (platform === 'darwin') {
    const file = plistPath(userHome);
    return { platform, file, content: null, dirs: [], steps: [run('launchctl', launchctl.argv.bootout(uid, LAUNCHD_LABEL), true), { kind: 'remove', file }] };
  }
  const file = unitPath(userHome);
  return {
    platform, file, content: null, dirs: [],
    steps: [
      run('systemctl', systemctl.argv.disableNow(SYSTEMD_UNIT), true),
      { kind: 'remove', file },
      // After the removal, so that systemd forgets the unit.
      run('systemctl', systemctl.argv.daemonReload()),
    ],
  };
}

export function describePlan(plan: ServicePlan): string {
  const lines: string[] = [];
  if (plan.content !== null) lines.push(`# would write ${plan.file}:`, plan.content.trimEnd(), '');
  lines.push('# would run:');
  for (const s of plan.steps) {
    if (s.kind === 'remove') lines.push(`rm ${shArg(s.file)}`);
    else if (s.kind === 'waitDaemonGone') lines.push('# (wait until the old cclocald has exited)');
    else lines.push(`${s.program} ${s.argv.map(shArg).join(' ')}${s.mayFail ? '   # may fail, harmlessly' : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** Quoted for a shell only when it needs to be, so the printed commands can be pasted. */
function shArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : shQuote(a);
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

/** Carries the plan out; returns the failures a person must see. */
export async function applyPlan(plan: ServicePlan, waitDaemonGone: () => Promise<void>): Promise<string[]> {
  const failures: string[] = [];
  if (plan.content !== null) {
    for (const d of plan.dirs) mkdirSync(d, { recursive: true });
    writeAtomic(plan.file, plan.content);
  }
  for (const s of plan.steps) {
    if (s.kind === 'remove') { rmSync(s.file, { force: true }); continue; }
    if (s.kind === 'waitDaemonGone') { await waitDaemonGone(); continue; }
    const r = await (s.program === 'launchctl' ? launchctl.run(s.argv) : systemctl.run(s.argv));
    if (r.missing) {
      // No service manager, no service: leave no file behind that claims one.
      if (plan.content !== null) rmSync(plan.file, { force: true });
      failures.push(`${s.program} is not installed on this machine`);
      break;
    }
    if (!r.ok && !s.mayFail) failures.push(`${s.program} ${s.argv.join(' ')} failed: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
  }
  return failures;
}

export function isInstalled(platform: Platform, userHome: string): string | null {
  const file = platform === 'darwin' ? plistPath(userHome) : unitPath(userHome);
  return existsSync(file) ? file : null;
}
