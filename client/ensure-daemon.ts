// Connect to cclocald, starting it when it is not running. Never starts a second engine: the
// daemon owns the engine, the client only asks.
import { connectDaemon, DaemonUnavailableError, type DaemonClient } from '../daemon/protocol/connect.js';
import type { HomePaths } from '../daemon/protocol/paths.js';
import { PROTOCOL_VERSION, type StatusResult } from '../daemon/protocol/protocol.js';
import { CALLER_VARS_REMOVED } from '../common/attach-env.js';
import { fileProblem, homeProblem } from '../common/home-safety.js';
import { startDaemonViaCli } from '../common/spawn-daemon.js';

export class ClientError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode = 1) { super(message); }
}

export async function ensureDaemon(paths: HomePaths, say: (line: string) => void): Promise<{ client: DaemonClient; status: StatusResult }> {
  // A socket or an attach.sh in a home that another user can change is theirs (issue #11); the
  // launcher refuses such an attach.sh and comes here, so this says why.
  const unsafe = homeProblem(paths.home);
  if (unsafe) throw new ClientError(unsafe.reason, unsafe.fix);
  const script = fileProblem(paths.attachScript);
  if (script) say(`cclocal: not sourcing it: ${script}; remove it (cclocald writes a fresh one when a model is next ready)`);
  let client: DaemonClient;
  try {
    client = await connectDaemon(paths.socket);
  } catch (err) {
    if (!(err instanceof DaemonUnavailableError)) throw err;
    if (err.kind === 'refused-permission') throw new ClientError(err.message, `run cclocal as the user who owns ${paths.home}`);
    say('Starting cclocald...');
    // The daemon outlives this shell: it gets none of its credentials (the engine never would).
    const env = { ...process.env };
    for (const k of CALLER_VARS_REMOVED) delete env[k];
    const started = await startDaemonViaCli(env);
    if (!started.ok) throw new ClientError(started.message, 'fix the cause above, then run cclocal again (or `cclocald run` to see it in the foreground)');
    client = await connectDaemon(paths.socket);
  }
  const status = await client.request('status');
  if (status.daemon.protocol !== PROTOCOL_VERSION) {
    client.close();
    throw new ClientError(`cclocald speaks protocol ${status.daemon.protocol}, this cclocal speaks ${PROTOCOL_VERSION}`, 'run `cclocald restart` to start the installed version');
  }
  return { client, status };
}
