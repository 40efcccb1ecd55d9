// The experiment scripts' daemon: started detached in a home of their own, with the stand-in
// engine (env), and the default model loaded.
import { connectDaemon } from '../daemon/protocol/connect.js';
import type { HomePaths } from '../daemon/protocol/paths.js';
import type { LoadResult, StatusResult } from '../daemon/protocol/protocol.js';
import { startDaemonDetached } from '../common/spawn-daemon.js';

export async function loadedLabDaemon(paths: HomePaths, env: NodeJS.ProcessEnv): Promise<{ loaded: LoadResult; status: StatusResult }> {
  const s = await startDaemonDetached(paths, env);
  if (!s.ok) throw new Error(s.message);
  const rpc = await connectDaemon(paths.socket);
  try {
    const loaded = await rpc.request('load', { model: 'gemma-light' });
    return { loaded, status: await rpc.request('status') };
  } finally {
    rpc.close();
  }
}
