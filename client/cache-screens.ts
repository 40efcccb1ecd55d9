// `--list` and `--rm` (and the menu's cache screens), with confirmation before anything is deleted.
import { listCached, removeCached, renderList, formatSize, ServedModelError } from './hf-cache.js';

export function printList(hub: string): void {
  process.stdout.write(renderList(hub, listCached(hub)) + '\n');
}

/** Interactive deletion; returns when the person goes back. */
export async function manageCache(hub: string, servedId: string | null): Promise<void> {
  const { confirm, select } = await import('@inquirer/prompts'); // see menu.ts
  for (;;) {
    const models = listCached(hub);
    process.stdout.write('\n' + renderList(hub, models) + '\n\n');
    if (models.length === 0) return;
    const choice = await select<string>({
      message: 'Delete a cached model',
      choices: [
        ...models.map((m, i) => ({ name: `${i + 1}) ${m.id} (${formatSize(m.bytes)})${m.id === servedId ? '  [loaded — unload first]' : ''}`, value: m.id })),
        { name: 'a) Delete ALL cached models (except the loaded one)', value: '*all*' },
        { name: 'b) Back', value: '*back*' },
      ],
    });
    if (choice === '*back*') return;
    if (choice === '*all*') {
      if (await confirm({ message: 'Delete ALL cached models?', default: false })) {
        for (const m of models) if (m.id !== servedId) removeCached(m, servedId);
        process.stdout.write('  All cached models deleted' + (servedId ? ` (kept ${servedId}, which is loaded).` : '.') + '\n');
      }
      continue;
    }
    const m = models.find((x) => x.id === choice)!;
    try {
      if (m.id === servedId) throw new ServedModelError(`${m.id} is loaded in cclocald; run \`cclocald unload\` first`);
      if (await confirm({ message: `Delete ${m.id} (${formatSize(m.bytes)})?`, default: false })) {
        removeCached(m, servedId);
        process.stdout.write('  Deleted.\n');
      }
    } catch (err) {
      if (!(err instanceof ServedModelError)) throw err;
      process.stdout.write(`  Refused: ${err.message}\n`);
    }
  }
}
