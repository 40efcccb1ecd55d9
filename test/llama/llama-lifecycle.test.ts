// The real llama-server through the rest of its life under cclocald: a real out-of-memory abort
// halving the window, its leftover after a daemon crash, and the real Claude Code on top of it
// through `cclocal --engine llama-server --model FILE.gguf`.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { test } from 'node:test';
import { isType } from '../helpers/events.js';
import { CLAUDE_UNDER_TEST, cclocald, isAlive, makeHome, ROOT, runProgram, startDaemon, type TestHome } from '../helpers/daemon.js';
import { engineAuth, realLlama } from '../helpers/llama.js';
import { onCleanup } from '../helpers/temp-home.js';

const found = realLlama();
const L = 'unavailable' in found ? null : found;
const skip = 'unavailable' in found ? found.unavailable : false;

function llamaHome(t: Parameters<typeof makeHome>[0], opts: { config?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {}): TestHome {
  return makeHome(t, { config: opts.config, env: { CCLOCAL_ENGINE: 'llama-server', CCLOCAL_ENGINE_BIN: undefined, CCLOCAL_BUILD_CACHE: L!.buildCache, ...opts.env } });
}

function mustBeGone(t: Parameters<typeof makeHome>[0], pid: () => number | null): void {
  onCleanup(t, () => {
    const p = pid();
    if (p && isAlive(p)) { process.kill(-p, 'SIGKILL'); throw new Error(`llama-server ${p} outlived the test`); }
  });
}

test("llama-server's real out-of-memory abort halves the window, and the restart with the halved window serves", { skip }, async (t) => {
  // A memory limit under which the buffers of a 410K-token window cannot be allocated but those
  // of 205K can (measured: llama-server maps ~630 MB, plus ~1.5 KB per token of -c).
  const wrapper = join(makeHome(t).dir, 'llama-server-limited');
  writeFileSync(wrapper, `#!/bin/sh\nulimit -v 1080000\nexec '${L!.bin}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const home = llamaHome(t, { env: { CCLOCAL_ENGINE_BIN: wrapper } });
  let last: number | null = null;
  mustBeGone(t, () => last); // checked after the daemon below is stopped
  const d = await startDaemon(t, home);
  const loaded = await d.rpc.request('load', { model: L!.eos, contextWindow: 409_600 });
  const crash = await d.events.next(isType('crash'), 'the OOM crash');
  assert.equal(crash.reason, 'alloc-oom');
  assert.match(crash.stderrTail, /failed to allocate (buffer for kv cache|compute pp buffers)/);
  const shrunk = await d.events.next(isType('contextShrunk'), 'the window halved');
  assert.deepEqual([shrunk.from, shrunk.to], [409_600, 204_800]);
  assert.equal(loaded.contextWindow, 204_800, 'the load resolves with the window that runs');
  const s = await d.rpc.request('status');
  last = s.engine.pid;
  assert.equal(s.engine.state, 'ready');
  assert.equal(s.engine.lastCrash?.reason, 'alloc-oom');
  const slots = await (await fetch(`${s.engine.url}/slots`, { headers: engineAuth(home) })).json() as Array<{ n_ctx: number }>;
  assert.equal(slots[0]!.n_ctx, 204_800 + 8192, 'llama-server runs with -c = the halved window + one answer');
});

test('after a daemon crash its healthy llama-server is adopted by the next daemon, and serves on', { skip }, async (t) => {
  const home = llamaHome(t);
  const first = await startDaemon(t, home);
  await first.rpc.request('load', { model: L!.eos });
  const before = await first.rpc.request('status');
  mustBeGone(t, () => before.engine.pid);
  first.rpc.close();
  await first.stop('SIGKILL');
  assert.ok(isAlive(before.engine.pid!), 'the engine outlives a hard daemon death (its own process group)');
  // The recovery runs before the socket answers: what it did shows in status and in its log.
  const second = await startDaemon(t, home);
  assert.match(readFileSync(home.paths.daemonLog, 'utf8'), /adopted the engine a previous daemon left running/);
  const after = await second.rpc.request('status');
  assert.deepEqual([after.engine.kind, after.engine.state, after.engine.pid], ['llama-server', 'ready', before.engine.pid]);
  const res = await fetch(`${after.endpoint.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'x', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }) });
  assert.equal(res.status, 200);
});

test('a leftover llama-server the next daemon does not want is stopped, not adopted', { skip }, async (t) => {
  const home = llamaHome(t, { config: { autoload: false } });
  const first = await startDaemon(t, home);
  await first.rpc.request('load', { model: L!.eos });
  const pid = (await first.rpc.request('status')).engine.pid!;
  mustBeGone(t, () => pid);
  first.rpc.close();
  await first.stop('SIGKILL');
  const second = await startDaemon(t, home);
  assert.match(readFileSync(home.paths.daemonLog, 'utf8'), /stopped an engine a previous daemon left behind/);
  assert.equal(isAlive(pid), false);
  assert.equal((await second.rpc.request('status')).engine.state, 'stopped');
});

test('the real Claude Code runs -p through `cclocal --engine llama-server --model tiny.gguf` and exits 0', { skip }, async (t) => {
  const home = llamaHome(t);
  let enginePid: number | null = null;
  mustBeGone(t, () => enginePid); // checked after the daemon below is stopped
  onCleanup(t, () => cclocald(home, 'stop'));
  // A relative .gguf path, as a person types it in the model's folder: cclocal makes it absolute.
  // The end-of-text model: Claude Code's -p treats an answer cut at max_tokens as an error.
  const r = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--engine', 'llama-server', '--model', basename(L!.eos), '--', '-p', 'hi'], {
    cwd: dirname(L!.eos),
    env: { ...home.env, HOME: join(home.dir, 'userhome'), CCLOCAL_CLAUDE_BIN: CLAUDE_UNDER_TEST },
  });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  // The model says nothing: what is asserted is the transport, not the words.
  const st = await cclocald(home, 'status', '--json');
  const s = JSON.parse(st.stdout) as { engine: { kind: string; model: string; state: string; pid: number }; endpoint: { requests: number; errors: number } };
  enginePid = s.engine.pid;
  assert.deepEqual([s.engine.kind, s.engine.model, s.engine.state], ['llama-server', L!.eos, 'ready']);
  assert.ok(s.endpoint.requests >= 1, 'Claude Code asked the endpoint');
  assert.equal(s.endpoint.errors, 0);
});

test('an -hf download into LLAMA_CACHE shows progress as vllm-mlx downloads do, then the model loads', { skip }, async (t) => {
  // The network part played by a wrapper: where llama.cpp would download (LLAMA_CACHE, its
  // blobs/<oid>.downloadInProgress, then a snapshot), it copies the tiny model in pieces, then
  // runs the real llama-server on it. Everything after the download is llama-server's own.
  const home = llamaHome(t);
  const cache = join(home.dir, 'llama-cache');
  const wrapper = join(home.dir, 'llama-server-hf');
  writeFileSync(wrapper, `#!/bin/sh
for a in "$@"; do [ "$a" = --help ] && exec '${L!.bin}' --help; done
repo=""; out=""
while [ $# -gt 0 ]; do
  if [ "$1" = -hf ]; then repo="\${2%%:*}"; shift 2; continue; fi
  out="$out '$1'"; shift
done
dir="$LLAMA_CACHE/models--$(echo "$repo" | sed 's#/#--#g')"
if [ ! -e "$dir/snapshots/0123abc/Tiny-Q4_K_M.gguf" ]; then
  mkdir -p "$dir/blobs" "$dir/snapshots/0123abc"
  part="$dir/blobs/0123abc.downloadInProgress"
  for i in 1 2 3 4 5 6 7 8; do
    dd if='${L!.eos}' bs=1M count=6 skip=$(( (i - 1) * 6 )) 2>/dev/null >> "$part"
    sleep 0.15
  done
  mv "$part" "$dir/blobs/0123abc"
  ln -s ../../blobs/0123abc "$dir/snapshots/0123abc/Tiny-Q4_K_M.gguf"
fi
eval exec "'${L!.bin}'" -m "$dir/snapshots/0123abc/Tiny-Q4_K_M.gguf" $out
`);
  chmodSync(wrapper, 0o755);
  home.env.CCLOCAL_ENGINE_BIN = wrapper;
  home.env.LLAMA_CACHE = cache;
  const d = await startDaemon(t, home);
  let pid: number | null = null;
  onCleanup(t, () => { if (pid && isAlive(pid)) process.kill(-pid, 'SIGKILL'); });
  const loaded = d.rpc.request('load', { model: 'someone/Tiny-GGUF:Q4_K_M' });
  await d.events.next((e) => e.type === 'state' && e.to === 'downloading', 'downloading');
  const grew = await d.events.next((e) => e.type === 'progress' && e.phase === 'downloading' && e.bytes > 6 * 1024 * 1024, 'download progress');
  assert.equal(grew.type === 'progress' && grew.model, 'someone/Tiny-GGUF:Q4_K_M');
  await loaded;
  const s = await d.rpc.request('status');
  pid = s.engine.pid;
  assert.equal(s.engine.state, 'ready');
  const states = d.events.ofType('state').map((e) => e.to);
  assert.deepEqual([states[0], states.at(-1)], ['downloading', 'ready']);
  // Downloaded now: the next start begins in loading and asks Hugging Face nothing (--offline).
  await d.rpc.request('unload');
  const from = d.events.all.length;
  await d.rpc.request('load', { model: 'someone/Tiny-GGUF:Q4_K_M' });
  pid = (await d.rpc.request('status')).engine.pid;
  const restart = d.events.all.slice(from).find((e) => e.type === 'state' && e.from === 'stopped');
  assert.equal(restart?.type === 'state' ? restart.to : null, 'loading');
  const spawned = readFileSync(home.paths.daemonLog, 'utf8').split('\n').filter((l) => l.includes('"engine spawned"')).map((l) => (JSON.parse(l) as { argv: string[] }).argv);
  assert.equal(spawned.length, 2);
  assert.deepEqual(spawned[0]!.slice(0, 2), ['-hf', 'someone/Tiny-GGUF:Q4_K_M']);
  assert.ok(!spawned[0]!.includes('--offline'), 'the first start downloads');
  assert.ok(spawned[1]!.includes('--offline'), 'the second start is offline');
});
