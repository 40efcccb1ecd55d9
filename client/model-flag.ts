// Which model the flags ask for: the seed's rule, the last model flag wins.
import { CATALOG } from '../common/catalog.js';

const MODEL_FLAGS = new Set([...CATALOG.map((e) => e.name), 'light']);

export function modelFromFlags(argv: readonly string[]): string | undefined {
  let chosen: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--model') chosen = argv[++i];
    else if (a.startsWith('--model=')) chosen = a.slice('--model='.length);
    else if (a.startsWith('--') && MODEL_FLAGS.has(a.slice(2))) chosen = a.slice(2);
  }
  return chosen;
}
