// `cclocald install | uninstall`: the login service file, written atomically, and the launchctl
// or systemctl commands, all through daemon/platform. --dry-run prints the file and every command
// and touches nothing.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { packageRoot } from '../common/package-root.js';
import { journalctl } from '../daemon/platform/journalctl.js';
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
      // After the removal, so that systemd forgets the unit; with no user session there is
      // nothing to forget (and `cclocald uninstall` is how one gets rid of the unit there).
      run('systemctl', systemctl.argv.daemonReload(), true),
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

const RUN = { launchctl: launchctl.run, systemctl: systemctl.run, journalctl: journalctl.run };

/** Carries the plan out up to the first step that fails; returns the failures a person must see. */
export async function applyPlan(plan: ServicePlan, waitDaemonGone: () => Promise<void>): Promise<string[]> {
  const failures: string[] = [];
  if (plan.content !== null) {
    for (const d of plan.dirs) mkdirSync(d, { recursive: true });
    writeFileAtomic(plan.file, plan.content, 0o644);
  }
  for (const s of plan.steps) {
    if (s.kind === 'remove') { rmSync(s.file, { force: true }); continue; }
    if (s.kind === 'waitDaemonGone') { await waitDaemonGone(); continue; }
    const r = await RUN[s.program](s.argv);
    if (r.missing) {
      // No service manager, no service: leave no file behind that claims one.
      if (plan.content !== null) rmSync(plan.file, { force: true });
      failures.push(`${s.program} is not installed on this machine`);
      break;
    }
    if (!r.ok && !s.mayFail) {
      failures.push(`${s.program} ${s.argv.join(' ')} failed: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
      break; // the steps after it build on it
    }
  }
  return failures;
}

/** Enough of a journal or a log to show the daemon's own last words. */
const DIAGNOSIS_LINES = 20;

/** What the service manager says about the service: the commands whose output tells why it is
 *  not running (systemd: its status and journal; launchd: `launchctl print`). */
export function diagnosisCommands(platform: Platform, uid: number): Array<{ program: keyof typeof RUN; argv: string[] }> {
  if (platform === 'darwin') return [{ program: 'launchctl', argv: launchctl.argv.print(uid, LAUNCHD_LABEL) }];
  return [{ program: 'systemctl', argv: systemctl.argv.status(SYSTEMD_UNIT) }, { program: 'journalctl', argv: journalctl.argv.unitTail(SYSTEMD_UNIT, DIAGNOSIS_LINES) }];
}

/** Each diagnosis command with its output indented under it (and launchd's log of the daemon's
 *  stderr), for a person to read. */
export async function diagnose(platform: Platform, uid: number, userHome: string): Promise<string> {
  const parts: string[] = [];
  for (const c of diagnosisCommands(platform, uid)) {
    const r = await RUN[c.program](c.argv);
    const out = r.missing ? `(${c.program} is not installed)` : `${r.stdout}\n${r.stderr}`.trim() || `(nothing; exit ${r.exitCode})`;
    parts.push(`${c.program} ${c.argv.join(' ')}:`, ...out.split('\n').slice(-DIAGNOSIS_LINES).map((l) => `  ${l}`));
  }
  if (platform === 'darwin') {
    const err = join(launchdLogDir(userHome), 'cclocald.err.log');
    const tail = existsSync(err) ? readFileSync(err, 'utf8').trimEnd().split('\n').slice(-DIAGNOSIS_LINES) : ['(none yet)'];
    parts.push(`${err}:`, ...tail.map((l) => `  ${l}`));
  }
  return parts.join('\n');
}

export function isInstalled(platform: Platform, userHome: string): string | null {
  const file = platform === 'darwin' ? plistPath(userHome) : unitPath(userHome);
  return existsSync(file) ? file : null;
}
