// The systemd user unit. Pure: spec in, unit text out. Quoting per systemd.syntax(7): values in
// double quotes with \ and " escaped; % doubled (it starts a specifier).
import type { ServiceSpec } from './service-spec.js';

function q(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%')}"`;
}

export function unitPath(userHome: string): string {
  return `${userHome}/.config/systemd/user/cclocald.service`;
}

export function renderUnit(s: ServiceSpec): string {
  const env = Object.entries({ PATH: s.path, ...s.env }).map(([k, v]) => q(`${k}=${v}`)).join(' ');
  return [
    '[Unit]',
    'Description=cclocal daemon: keeps a local model warm for Claude Code',
    // Five failed starts within ten minutes and systemd stops trying (as the engine's own policy).
    'StartLimitIntervalSec=600',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[s.nodePath, s.daemonEntry, 'run'].map(q).join(' ')}`,
    `Environment=${env}`,
    // A path setting, not a command line: no quotes (they would be taken literally), only % doubled.
    `WorkingDirectory=${s.userHome.replaceAll('%', '%%')}`,
    // Restart after a crash, not after a clean `cclocald stop` (exit 0).
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM to the daemon alone, so it stops its engine in order; whatever is left of the
    // group (the engine included) is killed when the timeout runs out.
    'KillMode=mixed',
    `TimeoutStopSec=${s.stopTimeoutS}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
