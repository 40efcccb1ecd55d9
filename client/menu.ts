// The interactive model menu: arrow keys or numbers, cached ● / not cached ○, which model is
// loaded and warm, whether it fits in GPU memory, and the cache screens.
import type { DaemonClient } from '../daemon/protocol/connect.js';
import { CATALOG } from '../daemon/protocol/catalog.js';
import { cacheFolderName } from '../daemon/protocol/catalog.js';
import type { StatusResult } from '../daemon/protocol/protocol.js';
import { manageCache, printList } from './cache-screens.js';
import { listCached } from './hf-cache.js';

export async function chooseModel(client: DaemonClient, status: StatusResult, hub: string): Promise<string | null> {
  // Loaded only when a menu opens: the prompt library costs about as much as Node's own start-up.
  const { select } = await import('@inquirer/prompts');
  for (;;) {
    const cached = new Set(listCached(hub).map((m) => cacheFolderName(m.id)));
    const fits = await Promise.all(CATALOG.map((e) => client.request('preflight', { model: e.name }).then((r) => !r.tight, () => true)));
    const choices = CATALOG.map((e, i) => {
      const mark = cached.has(cacheFolderName(e.id)) ? '●' : '○';
      const warm = status.engine.model === e.id ? (status.engine.state === 'ready' ? '  [loaded, warm]' : `  [${status.engine.state}]`) : '';
      const tight = fits[i] ? '' : '  [tight on memory]';
      return { name: `${mark} ${String(i + 1)}) ${e.display.padEnd(22)} ${`${e.sizeGB}GB`.padStart(5)}  --${e.name.padEnd(12)} ${e.notes}${warm}${tight}`, value: e.name };
    });
    const pick = await select<string>({
      message: 'Model  (● downloaded  ○ not downloaded)',
      choices: [...choices, { name: 'm) Manage cache', value: '*manage*' }, { name: 'l) List cache', value: '*list*' }, { name: 'q) Quit', value: '*quit*' }],
      default: status.engine.model ? CATALOG.find((e) => e.id === status.engine.model)?.name : undefined,
      pageSize: 12,
    });
    if (pick === '*quit*') return null;
    if (pick === '*list*') { printList(hub); continue; }
    if (pick === '*manage*') { await manageCache(hub, status.engine.model); continue; }
    return pick;
  }
}
