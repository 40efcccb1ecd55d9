// How a cclocald process looks from outside, to tell it from whatever got its recycled pid
// (issue #11). Its argv ends in `run` after its entry: daemon/main.ts under tsx, dist/daemon/main.js
// (daemonEntry in spawn-daemon.ts, and the login service), or the `cclocald` bin. bin/cclocal
// makes the same test in sh. Pure.

const DAEMON_ARGV = /(?:^|[\s/])cclocald(?:\.js)?\s+run(?:\s|$)|\/daemon\/main\.[jt]s\s+run(?:\s|$)/;

export function isDaemonCommandLine(commandLine: string): boolean {
  return DAEMON_ARGV.test(commandLine);
}

/**
 * Whether a live process is a cclocald of the home `isThisHome` accepts: its command line, and
 * its CCLOCAL_HOME when it has one (unset or empty means the default home, which may be this one). Facts
 * that could not be read (null) count as yes: a booting daemon must never be taken for stale.
 */
export function isDaemonOfHome(facts: { commandLine: string; envValue: string | null } | null, isThisHome: (dir: string) => boolean): boolean {
  if (!facts) return true;
  return isDaemonCommandLine(facts.commandLine) && (!facts.envValue || isThisHome(facts.envValue));
}
