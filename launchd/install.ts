// `cclocald install | uninstall`: the login service file, written atomically, and the launchctl
// or systemctl commands, all through daemon/platform. --dry-run prints the file and every command
// and touches nothing.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchctl } from '../daemon/platform/launchctl.js';
import { systemctl } from '../daemon/platform/systemctl.js';
import { launchdLogDir, plistPath, renderPlist } from './plist.js';
import { LAUNCHD_LABEL, PASSED_ENV, SYSTEMD_UNIT, type ServiceSpec } from './service-spec.js';
import { renderUnit, unitPath } from './systemd.js';

export type Platform = 'darwin' | 'linux';

export interface Step {
  program: 'launchctl' | 'systemctl';
  argv: string[];
  /** "Not loaded" is fine when unloading before a (re)load. */
  mayFail?: boolean;
}

export interface ServicePlan {
  platform: Platform;
  file: string;
  /** The file's new content; null when the plan removes it. */
  content: string | null;
  dirs: string[];
  steps: Step[];
}

/** The daemon's stop grace (15 s default) plus teardown slack. */
const STOP_TIMEOUT_S = 30;

function packageRoot(): string {
  // launchd/install.ts in development, dist/launchd/install.js when built.
  const here = dirname(fileURLToPath(import.meta.url));
  const up = join(here, '..');
  return up.endsWith('/dist') ? join(up, '..') : up;
}

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
        // Reinstall replaces and reloads: unload the old agent first (fails harmlessly when not loaded).
        { program: 'launchctl', argv: launchctl.argv.bootout(uid, LAUNCHD_LABEL), mayFail: true },
        { program: 'launchctl', argv: launchctl.argv.bootstrap(uid, file) },
      ],
    };
  }
  const file = unitPath(spec.userHome);
  return {
    platform, file, content: renderUnit(spec), dirs: [dirname(file)],
    steps: [
      { program: 'systemctl', argv: systemctl.argv.daemonReload() },
      { program: 'systemctl', argv: systemctl.argv.enableNow(SYSTEMD_UNIT) },
      // enable --now leaves an already running daemon on the old unit: restart it on the new one.
      { program: 'systemctl', argv: systemctl.argv.restart(SYSTEMD_UNIT) },
    ],
  };
}

export function uninstallPlan(platform: Platform, userHome: string, uid: number): ServicePlan {
  if (platform === 'darwin') {
    return { platform, file: plistPath(userHome), content: null, dirs: [], steps: [{ program: 'launchctl', argv: launchctl.argv.bootout(uid, LAUNCHD_LABEL), mayFail: true }] };
  }
  return {
    platform, file: unitPath(userHome), content: null, dirs: [],
    steps: [
      { program: 'systemctl', argv: systemctl.argv.disableNow(SYSTEMD_UNIT), mayFail: true },
      { program: 'systemctl', argv: systemctl.argv.daemonReload() },
    ],
  };
}

export function describePlan(plan: ServicePlan): string {
  const lines: string[] = [];
  if (plan.content !== null) lines.push(`# would write ${plan.file}:`, plan.content.trimEnd(), '');
  else lines.push(`# would remove ${plan.file}`);
  lines.push('# would run:');
  for (const s of plan.steps) lines.push(`${s.program} ${s.argv.map((a) => (/[\s'"]/.test(a) ? `'${a}'` : a)).join(' ')}${s.mayFail ? '   # may fail when not loaded' : ''}`);
  return lines.join('\n') + '\n';
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

/** Carries the plan out; returns the failures a person must see. Removal happens after the commands. */
export async function applyPlan(plan: ServicePlan): Promise<string[]> {
  const failures: string[] = [];
  if (plan.content !== null) {
    for (const d of plan.dirs) mkdirSync(d, { recursive: true });
    writeAtomic(plan.file, plan.content);
  }
  for (const s of plan.steps) {
    const r = await (s.program === 'launchctl' ? launchctl.run(s.argv) : systemctl.run(s.argv));
    if (r.missing) { failures.push(`${s.program} is not installed on this machine`); break; }
    if (!r.ok && !s.mayFail) failures.push(`${s.program} ${s.argv.join(' ')} failed: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
  }
  if (plan.content === null) rmSync(plan.file, { force: true });
  return failures;
}

export function isInstalled(platform: Platform, userHome: string): string | null {
  const file = platform === 'darwin' ? plistPath(userHome) : unitPath(userHome);
  return existsSync(file) ? file : null;
}
