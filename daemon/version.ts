// The package version, read once from package.json (one level above daemon/ and dist/daemon/).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function read(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cclocal' && pkg.version) return pkg.version;
    } catch { /* try the next level */ }
  }
  return '0.0.0';
}

export const VERSION = read();
