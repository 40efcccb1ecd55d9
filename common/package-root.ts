// The package root (where ./install.sh puts .venv and the built dist/), found from this file,
// never from argv[0] or the caller's cwd: common/ in development, dist/common/ when built.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  return up.endsWith('/dist') ? resolve(up, '..') : up;
}
