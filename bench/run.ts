// `npm run bench`: each figure against a baseline measured in the same run. Run one at a time
// (the machine has two cores): BENCH_ONLY=rtt|restart|endpoint|connection|llama|attach|idle|shape|remote picks one.
import { attachTimes } from './attach.js';
import { connectionPolicy } from './connection.js';
import { endpointOverhead } from './endpoint.js';
import { idle } from './idle.js';
import { llamaOverhead } from './llama.js';
import { remoteOverhead } from './remote.js';
import { requestShape } from './request-shape.js';
import { restartLatency } from './restart-latency.js';
import { socketRtt } from './socket-rtt.js';

const all: Record<string, () => Promise<string[]>> = { rtt: socketRtt, restart: restartLatency, endpoint: endpointOverhead, connection: connectionPolicy, llama: llamaOverhead, attach: attachTimes, idle, shape: requestShape, remote: remoteOverhead };
const only = process.env.BENCH_ONLY;
for (const [name, fn] of Object.entries(all)) {
  if (only && only !== name) continue;
  console.log(`# ${name}`);
  for (const line of await fn()) console.log(`  ${line}`);
}
