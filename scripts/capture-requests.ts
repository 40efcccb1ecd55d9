// Captures the Messages request bodies a real Claude Code CLI sends, scrubbed of
// paths and ids, as fixtures for the endpoint's unit tests (test/fixtures/claude-requests/).
// A scripted two-step tool loop (Write, then Read) against the stand-in engine: the bodies show
// what the CLI puts in `messages` (its `role: "system"` entries), which fields it adds and which
// tools it lists.
// Usage: npm run build && CCLOCAL_CLAUDE_BIN=/path/to/claude node --import tsx scripts/capture-requests.ts
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, planFor } from '../client/attach.js';
import { homePaths } from '../daemon/protocol/paths.js';
import { FAKE_ENGINE, FIXTURE_BIN, ROOT } from '../test/helpers/daemon.js';
import { loadedLabDaemon } from './lab-daemon.js';

const CLAUDE = process.env.CCLOCAL_CLAUDE_BIN || join(ROOT, 'node_modules', '.bin', 'claude');
const OUT = join(ROOT, 'test', 'fixtures', 'claude-requests');

/** Paths, ids and machine facts out; the shape of the request stays exactly as sent. */
function scrub(raw: string, dir: string): string {
  const slug = (p: string) => p.replaceAll('/', '-');
  return raw
    .replaceAll(join(dir, 'work'), '/tmp/project')
    .replaceAll(join(dir, 'uh'), '/home/user')
    .replaceAll(slug(join(dir, 'work')), '-tmp-project')
    .replace(/\\"device_id\\":\\"[0-9a-f]+\\"/g, '\\"device_id\\":\\"0000\\"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '00000000-0000-0000-0000-000000000000')
    .replace(/call_(\d+)_\d+/g, 'call_$1')
    .replace(/OS Version: [^\\"]*/g, 'OS Version: Linux')
    .replace(/Today's date is \d{4}-\d{2}-\d{2}/g, "Today's date is 2026-01-01");
}

const version = spawnSync(CLAUDE, ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0]!;
const dir = mkdtempSync('/tmp/cclcap-');
const paths = homePaths(join(dir, 'h'));
mkdirSync(paths.home, { recursive: true, mode: 0o700 });
for (const d of ['hf', 'uh', 'work']) mkdirSync(join(dir, d));
writeFileSync(paths.config, JSON.stringify({ notify: false, healthPollMs: 20 }));
const work = join(dir, 'work');
const target = join(work, 'notes.txt');
const record = join(dir, 'rec.jsonl');
const env: NodeJS.ProcessEnv = {
  PATH: `${FIXTURE_BIN}:${process.env.PATH}`, HOME: join(dir, 'uh'), CCLOCAL_HOME: paths.home, CCLOCAL_ENGINE: 'vllm-mlx', CCLOCAL_ENGINE_BIN: FAKE_ENGINE,
  HF_HUB_CACHE: join(dir, 'hf'), CCLOCAL_PORT: String(22000 + (process.pid % 5000)), FAKE_VLLM_RECORD: record, FAKE_VLLM_RECORD_BODIES: '1',
  FAKE_VLLM_SCRIPT: JSON.stringify([{ name: 'Write', input: { file_path: target, content: 'hello\n' } }, { name: 'Read', input: { file_path: target } }]),
};
try {
  const { loaded, status } = await loadedLabDaemon(paths, env);
  // Straight at the engine, not the endpoint: the fixtures are what the CLI sends, before any rewrite.
  const plan = planFor(status.engine.url!, loaded.model, 32768, 8192);
  const r = spawnSync(CLAUDE, [...plan.args, '-p', `write hello to ${target}, then read it back`], { env: childEnv(plan, env), cwd: work, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`claude exited ${r.status}: ${r.stderr}`);
  const bodies = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; raw?: string })
    .filter((e) => e.event === 'request' && e.raw).map((e) => scrub(e.raw!, dir));
  mkdirSync(OUT, { recursive: true });
  bodies.forEach((b, i) => writeFileSync(join(OUT, `${version}-${i + 1}.json`), JSON.stringify(JSON.parse(b), null, 1) + '\n'));
  console.log(`${version}: ${bodies.length} request bodies in ${OUT}`);
} finally {
  spawnSync(process.execPath, [join(ROOT, 'dist', 'daemon', 'main.js'), 'stop'], { env, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
