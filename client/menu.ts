// The interactive model menu: arrow keys or numbers, cached ● / not cached ○, which model is
// loaded and warm, whether it fits in GPU memory, and the cache screens.
import type { DaemonClient } from '../daemon/protocol/connect.js';
import { CATALOG, cacheFolderName, resolveModel } from '../common/catalog.js';
import type { EngineKindName, StatusResult } from '../daemon/protocol/protocol.js';
import { shrunkWindowNote } from '../common/window-note.js';
import { manageCache, printList } from './cache-screens.js';
import { listCached } from './hf-cache.js';

/** `kind`: the engine the pick will load on (the one asked for, else the daemon's). */
export async function chooseModel(client: DaemonClient, status: StatusResult, hub: string, kind: EngineKindName = status.engine.kind): Promise<string | null> {
  // Loaded only when a menu opens: the prompt library costs about as much as Node's own start-up.
  const { select } = await import('@inquirer/prompts');
  for (;;) {
    const cached = new Set(listCached(hub).map((m) => cacheFolderName(m.id)));
    const fits = await Promise.all(CATALOG.map((e) => client.request('preflight', { model: e.name, engine: kind }).then((r) => !r.tight, () => true)));
    const choices = CATALOG.map((e, i) => {
      // What this engine kind would serve for the name (the MLX repo, or the GGUF repo).
      const served = resolveModel(e.name, kind);
      const repo = served && 'repo' in served.source ? served.source.repo : e.id;
      const mark = cached.has(cacheFolderName(repo)) ? '●' : '○';
      const loaded = served && status.engine.kind === kind && status.engine.model === served.id;
      const warm = loaded ? (status.engine.state === 'ready' ? '  [loaded, warm]' : `  [${status.engine.state}]`) : '';
      // Named by its catalog name, as the person picks it here.
      const shrunk = loaded ? shrunkWindowNote({ ...status.engine, model: e.name }) : null;
      const tight = fits[i] ? '' : '  [tight on memory]';
      // The row only marks it; the note with the command shows below the list while it is highlighted.
      return { name: `${mark} ${String(i + 1)}) ${e.display.padEnd(22)} ${`${e.sizeGB}GB`.padStart(5)}  --${e.name.padEnd(12)} ${e.notes}${warm}${tight}${shrunk ? '  [window shrunk]' : ''}`, value: e.name, ...(shrunk ? { description: `⚠ ${shrunk}` } : {}) };
    });
    const pick = await select<string>({
      message: `Model on ${kind}  (● downloaded  ○ not downloaded)`,
      choices: [...choices, { name: 'm) Manage cache', value: '*manage*' }, { name: 'l) List cache', value: '*list*' }, { name: 'q) Quit', value: '*quit*' }],
      default: status.engine.model ? CATALOG.find((e) => resolveModel(e.name, kind)?.id === status.engine.model)?.name : undefined,
      pageSize: 12,
    });
    if (pick === '*quit*') return null;
    if (pick === '*list*') { printList(hub); continue; }
    if (pick === '*manage*') { await manageCache(hub, status.engine.model); continue; }
    return pick;
  }
}
