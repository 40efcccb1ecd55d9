// The import rules of STYLE.md §3.2, checked on the source: the client sees only the protocol,
// the protocol sees nothing else, and the pure modules do no I/O.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/daemon.js';

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

const rel = (from: string, spec: string) => relative(ROOT, resolve(dirname(from), spec));

test('client/ imports from daemon/ only through daemon/protocol/ (and the shared common/)', () => {
  for (const f of tsFiles(join(ROOT, 'client'))) {
    for (const spec of imports(f).filter((s) => s.startsWith('.'))) {
      const target = rel(f, spec);
      assert.ok(!target.startsWith('daemon/') || target.startsWith('daemon/protocol/'), `${relative(ROOT, f)} imports ${target}`);
    }
  }
});

test('daemon/protocol/ is the wire only: its four files, importing nothing else of the project', () => {
  const files = tsFiles(join(ROOT, 'daemon', 'protocol')).map((f) => relative(join(ROOT, 'daemon', 'protocol'), f)).sort();
  assert.deepEqual(files, ['connect.ts', 'framing.ts', 'paths.ts', 'protocol.ts']);
  for (const f of tsFiles(join(ROOT, 'daemon', 'protocol'))) {
    for (const spec of imports(f).filter((s) => s.startsWith('.'))) {
      assert.ok(rel(f, spec).startsWith('daemon/protocol/'), `${relative(ROOT, f)} imports ${spec}`);
    }
  }
});

test('common/ imports only the wire and itself', () => {
  for (const f of tsFiles(join(ROOT, 'common'))) {
    for (const spec of imports(f).filter((s) => s.startsWith('.'))) {
      const target = rel(f, spec);
      assert.ok(target.startsWith('common/') || target.startsWith('daemon/protocol/'), `${relative(ROOT, f)} imports ${target}`);
    }
  }
});

const PURE = ['daemon/supervisor/states.ts', 'daemon/supervisor/restart-policy.ts', 'daemon/supervisor/crash-reason.ts', 'daemon/preflight.ts',
  'daemon/engine/vllm-mlx.ts', 'daemon/engine/llama-server.ts', 'daemon/engine/engine-text.ts', 'daemon/engine/kind.ts'];
for (const file of PURE) {
  test(`${file} is pure: no node I/O, no execa, no project I/O modules`, () => {
    for (const spec of imports(join(ROOT, file))) {
      assert.ok(!spec.startsWith('node:') && spec !== 'execa' && spec !== 'chokidar', `${file} imports ${spec}`);
      // A pure module may import the wire types and other pure modules, nothing else of the project.
      if (spec.startsWith('.')) assert.ok(/protocol\/|common\/(catalog|attach-env)\.js$/.test(spec) || PURE.includes(rel(join(ROOT, file), spec).replace(/\.js$/, '.ts')), `${file} imports ${spec}`);
    }
  });
}

test('only daemon/platform/ runs the platform commands', () => {
  for (const f of tsFiles(join(ROOT, 'daemon'))) {
    if (relative(ROOT, f).startsWith('daemon/platform/')) continue;
    const src = readFileSync(f, 'utf8');
    for (const cmd of ['launchctl', 'systemctl', 'journalctl', 'sysctl', 'osascript', 'notify-send']) {
      assert.ok(!new RegExp(`['"\`]${cmd}['"\`]`).test(src), `${relative(ROOT, f)} runs ${cmd}`);
    }
  }
});
