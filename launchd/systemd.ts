// The systemd user unit. Pure: spec in, unit text out. Quoting per systemd.syntax(7): values in
// double quotes with \ and " escaped and a newline as \n; % doubled (it starts a specifier).
// ExecStart= also expands $VAR in its arguments (systemd.service(5), "Command lines"), so there $
// is doubled too; not in the executable's path nor in Environment=, where $$ would stay literal
// (systemd-analyze verify confirms both).
import type { ServiceSpec } from './service-spec.js';

function q(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('%', '%%')}"`;
}

function qExec(s: string): string {
  return q(s).replaceAll('$', '$$$$');
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
    `ExecStart=${[q(s.nodePath), ...[s.daemonEntry, 'run'].map(qExec)].join(' ')}`,
    `Environment=${env}`,
    // A path setting, not a command line: no quotes (they would be taken literally), only % doubled.
    `WorkingDirectory=${s.userHome.replaceAll('%', '%%')}`,
    // Restart after a crash, not after a clean `cclocald stop` (exit 0).
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM to the daemon alone, so it stops its engine in order; then SIGKILL to whatever is
    // left of the group. A daemon that crashes takes its engine down with it this way (no
    // multi-GB orphan); the next one starts a fresh engine rather than adopting one.
    'KillMode=mixed',
    `TimeoutStopSec=${s.stopTimeoutS}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
