// The real engine for the real-engine tests: llama.cpp's llama-server built by
// scripts/build-llama-server.sh (cached outside the clone; the first build takes minutes), and
// tiny Qwen2 models made at test time by scripts/tiny-gguf.py from the bundle's own vocabulary.
// Where it cannot run (no compiler, no numpy) the reason is returned, for the test to say.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, type TestHome } from './daemon.js';

export interface RealLlama {
  bin: string;
  /** The folder the daemon's own lookup finds the build in (CCLOCAL_BUILD_CACHE). */
  buildCache: string;
  /** Every answer an immediate, clean end_turn. */
  eos: string;
  /** Nonsense until max_tokens. */
  random: string;
}

let memo: RealLlama | { unavailable: string } | null = null;

function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60 * 60_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** The built llama-server and the two tiny models, or why they cannot be had here. */
export function realLlama(): RealLlama | { unavailable: string } {
  if (memo) return memo;
  const build = run('bash', [join(ROOT, 'scripts', 'build-llama-server.sh')]);
  if (!build.ok) return (memo = { unavailable: `llama-server could not be built: ${build.err.split('\n').slice(-3).join(' ')}` });
  const bin = build.out.split('\n').pop()!;
  const share = join(dirname(dirname(bin)), 'share');
  const script = join(ROOT, 'scripts', 'tiny-gguf.py');
  // Made once per version of the recipe, then shared by the test files of this machine.
  const key = createHash('sha256').update(readFileSync(script)).update(bin).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `cclocal-tiny-${key}`);
  const models = { eos: join(dir, 'tiny-eos.gguf'), random: join(dir, 'tiny-random.gguf') };
  if (!existsSync(models.eos) || !existsSync(models.random)) {
    const work = `${dir}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    // The first python3 with numpy: PATH's, else Debian's (which .ci/run gives python3-numpy).
    const python = ['python3', '/usr/bin/python3'].find((p) => run(p, ['-c', 'import numpy']).ok) ?? 'python3';
    for (const mode of ['eos', 'random'] as const) {
      const made = run(python, [script, join(share, 'gguf-py'), join(share, 'ggml-vocab-qwen2.gguf'), join(work, `tiny-${mode}.gguf`), mode]);
      if (!made.ok) {
        rmSync(work, { recursive: true, force: true });
        return (memo = { unavailable: `the tiny test model could not be made (python3 with numpy is needed: apt-get install python3-numpy): ${made.err.split('\n').pop()}` });
      }
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  }
  return (memo = { bin, buildCache: dirname(dirname(dirname(dirname(bin)))), ...models });
}

/** The header that presents the key the daemon gave its llama-server (for a test that asks the
 *  engine directly, as only the daemon may). */
export function engineAuth(home: TestHome): Record<string, string> {
  return { authorization: `Bearer ${readFileSync(home.paths.engineKey, 'utf8').trim()}` };
}
