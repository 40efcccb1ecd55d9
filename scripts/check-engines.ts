// Checks that every installed dependency accepts the Node version the project promises (>=20):
// the newest execa, commander and chokidar need Node 22 (STYLE.md, "Traps").
// Usage: node --import tsx scripts/check-engines.ts [nodeVersion]
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Whether a simple `engines.node` range (>=, ^, ~, x, ||, spaces) admits `major`. */
export function admitsMajor(range: string, major: number): boolean {
  return range.split('||').some((alt) => {
    const parts = alt.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0 || parts.includes('*')) return true;
    return parts.every((p) => {
      const m = /^(>=|>|<=|<|\^|~|=)?\s*v?(\d+)/.exec(p);
      if (!m) return true;
      const op = m[1] ?? '=';
      const v = Number(m[2]);
      switch (op) {
        case '>=': return major >= v;
        case '>': return major > v || (major === v && !/^>\s*v?\d+$/.test(p)); // >20.0.1 still admits some 20.x
        case '<': return major < v || (major === v && /\.\d*[1-9]/.test(p));
        case '<=': return major <= v;
        default: return major === v; // ^N, ~N, =N, N
      }
    });
  });
}

/** ELF (Linux) and Mach-O (macOS) executables: a program Node does not run. */
const NATIVE_MAGIC = [Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.from([0xca, 0xfe, 0xba, 0xbe])];

/** Whether every `bin` of the package is a native executable (Claude Code ships one since 2.1):
 *  its `engines.node` then speaks of a Node it never runs on. */
function binsAreNative(dir: string, bin: string | Record<string, string> | undefined): boolean {
  const files = typeof bin === 'string' ? [bin] : Object.values(bin ?? {});
  if (files.length === 0) return false;
  return files.every((f) => {
    try {
      const head = Buffer.alloc(4);
      const fd = openSync(join(dir, f), 'r');
      try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
      return NATIVE_MAGIC.some((m) => m.equals(head));
    } catch { return false; }
  });
}

export function incompatible(major: number, root = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const bad: string[] = [];
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const dir = join(root, 'node_modules', name);
    let dep: { version: string; engines?: { node?: string }; bin?: string | Record<string, string> };
    try { dep = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')); } catch { continue; }
    const range = dep.engines?.node;
    if (range && !admitsMajor(range, major) && !binsAreNative(dir, dep.bin)) bad.push(`${name}@${dep.version} needs node ${range}`);
  }
  return bad;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const major = Number((process.argv[2] ?? process.versions.node).split('.')[0]);
  const bad = incompatible(major);
  for (const b of bad) console.error(b);
  console.log(bad.length ? `${bad.length} dependencies do not support Node ${major}` : `all direct dependencies support Node ${major}`);
  process.exitCode = bad.length ? 1 : 0;
}
