// What a login service needs to know to start `cclocald run`, for both launchd and systemd.
// launchd and systemd run with no shell and none of the user's PATH, so every path is absolute
// and the environment the daemon needs is spelled out.

export const LAUNCHD_LABEL = 'dev.cclocal.cclocald';
export const SYSTEMD_UNIT = 'cclocald.service';
/** The soft open-files limit the launchd agent asks for (launchd's default is 256). Node raises
 *  its own soft limit to the hard one as it starts (node.cc, PlatformInit), so this matters only
 *  where the hard limit is the low one; systemd user units keep their own (a LimitNOFILE above
 *  the user manager's hard limit would keep the unit from starting at all). */
export const OPEN_FILES_SOFT_LIMIT = 8192;

export interface ServiceSpec {
  /** Absolute path of node (process.execPath of the installing command). */
  nodePath: string;
  /** Absolute path of the built daemon entry (dist/daemon/main.js). */
  daemonEntry: string;
  /** The user's home. */
  userHome: string;
  /** A PATH that finds the engine, claude and the system tools. */
  path: string;
  /** Variables passed through when set: CCLOCAL_HOME (when not default), HF_HOME, … */
  env: Record<string, string>;
  /** The daemon's SIGTERM → exit budget: its engine grace plus its own teardown. */
  stopTimeoutS: number;
}

/** The environment keys the service carries over from the installing shell. */
export const PASSED_ENV = ['CCLOCAL_HOME', 'CCLOCAL_PORT', 'CCLOCAL_ENGINE', 'CCLOCAL_ENGINE_BIN', 'CCLOCAL_BUILD_CACHE', 'CCLOCAL_CLAUDE_BIN', 'HF_HOME', 'HF_HUB_CACHE', 'LLAMA_CACHE'] as const;
