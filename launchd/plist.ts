// The LaunchAgent, built by hand with the `plist` package. Pure: spec in, plist text out.
// Keys follow launchd.plist(5).
import { build, type PlistValue } from 'plist';
import { LAUNCHD_LABEL, OPEN_FILES_SOFT_LIMIT, type ServiceSpec } from './service-spec.js';

export function plistPath(userHome: string): string {
  return `${userHome}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`;
}

export function launchdLogDir(userHome: string): string {
  return `${userHome}/Library/Logs/cclocal`;
}

export function agentObject(s: ServiceSpec): Record<string, PlistValue> {
  const logs = launchdLogDir(s.userHome);
  return {
    Label: LAUNCHD_LABEL,
    // No shell, no PATH lookup: absolute node and daemon entry.
    ProgramArguments: [s.nodePath, s.daemonEntry, 'run'],
    EnvironmentVariables: { PATH: s.path, ...s.env },
    RunAtLoad: true,
    // Restart when the daemon dies (non-zero exit, signal), not after a clean `cclocald stop` (exit 0).
    KeepAlive: { SuccessfulExit: false },
    // A crash loop (a taken port, say) restarts at most every 10 s.
    ThrottleInterval: 10,
    // It serves a person at the keyboard: GPU work must not be throttled as background.
    ProcessType: 'Interactive',
    StandardOutPath: `${logs}/cclocald.out.log`,
    StandardErrorPath: `${logs}/cclocald.err.log`,
    WorkingDirectory: s.userHome,
    // launchd SIGKILLs after this; the daemon needs it to stop the engine cleanly first.
    ExitTimeOut: s.stopTimeoutS,
    // launchd's default soft limit is 256 files; every client connection, engine connection and
    // log holds one, and Node has no setrlimit of its own to raise it.
    SoftResourceLimits: { NumberOfFiles: OPEN_FILES_SOFT_LIMIT },
  };
}

export function renderPlist(s: ServiceSpec): string {
  return build(agentObject(s)) + '\n';
}
