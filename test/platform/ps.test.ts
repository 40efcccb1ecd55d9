// What the platform module reads about a process: Linux from /proc (a real child), macOS from
// ps(1) (a stand-in on PATH that answers as macOS's ps does for `-o pgid=,lstart=` and `-wwE`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { envFromPsLine, parseProcStat, processesWithEnv, processFacts } from '../../daemon/platform/ps.js';
import { tempDir } from '../helpers/temp-home.js';

test('/proc/PID/stat: the process group and start time, whatever the command name holds', () => {
  const stat = '4242 (we ird) name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 0';
  assert.deepEqual(parseProcStat(stat), { pgid: 4242, startTime: '987654' });
});

test("ps -E's text: one variable's value, never a longer name that ends the same", () => {
  const line = 'python3 -m vllm_mlx serve m PATH=/usr/bin XCCLOCAL_ENGINE_OWNER=nope CCLOCAL_ENGINE_OWNER=abc-123 HOME=/Users/me';
  assert.equal(envFromPsLine(line, 'CCLOCAL_ENGINE_OWNER'), 'abc-123');
  assert.equal(envFromPsLine('python3 x HOME=/h', 'CCLOCAL_ENGINE_OWNER'), null);
});

test('Linux: a live child of ours gives its group, a stable start stamp and its mark; the scan finds it', async (t) => {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, CCLOCAL_TEST_MARK: 'mark-1' } });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  const a = await processFacts(child.pid!, 'CCLOCAL_TEST_MARK', 'linux');
  const b = await processFacts(child.pid!, 'CCLOCAL_TEST_MARK', 'linux');
  assert.equal(a?.pgid, child.pid, 'detached: it leads its group');
  assert.equal(a?.envValue, 'mark-1');
  assert.match(a?.commandLine ?? '', /^sleep 30$/);
  assert.equal(a?.startTime, b?.startTime);
  assert.deepEqual(await processesWithEnv('CCLOCAL_TEST_MARK', (v) => v === 'mark-1', 'linux'), [child.pid]);
  assert.equal(await processFacts(process.pid, 'CCLOCAL_TEST_MARK', 'linux').then((f) => f?.envValue ?? null), null);
});

test('macOS: the facts come from ps, through the platform module', async (t) => {
  const bin = tempDir(t);
  // macOS ps: `-o pgid=,lstart=` gives "  501 Tue Dec  1 10:00:00 2026"; `-wwE` appends the environment.
  writeFileSync(join(bin, 'ps'), `#!/bin/sh
case "$*" in
  *pgid=,lstart=*) echo "  777 Tue Dec  1 10:00:00 2026" ;;
  *-wwE*-U*) echo "  777 vllm-mlx serve m CCLOCAL_ENGINE_OWNER=h-run1 PATH=/x"; echo "  778 vim notes CCLOCAL_ENGINE_OWNER=other-run PATH=/x" ;;
  *-wwE*) echo "vllm-mlx serve m CCLOCAL_ENGINE_OWNER=h-run1 PATH=/x" ;;
  *command=*) echo "vllm-mlx serve m" ;;
esac
`);
  chmodSync(join(bin, 'ps'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  t.after(() => { process.env.PATH = saved; });
  assert.deepEqual(await processFacts(777, 'CCLOCAL_ENGINE_OWNER', 'darwin'), { pgid: 777, startTime: 'Tue Dec  1 10:00:00 2026', commandLine: 'vllm-mlx serve m', envValue: 'h-run1' });
  assert.deepEqual(await processesWithEnv('CCLOCAL_ENGINE_OWNER', (v) => v.startsWith('h-'), 'darwin'), [777]);
});
