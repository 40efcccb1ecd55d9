// How a download and a load look (common/progress-line.ts, shared by cclocal and `cclocald load`):
// bytes of total, percent, rate and time left; the estimate marked; a live cli-progress line on a
// terminal and a line every few seconds elsewhere; and cclocal's own output outside a terminal.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  etaSeconds, liveLine, percentOf, plainLine, ProgressDisplay, progressEveryMs, shortDuration, sizePair, wordDuration, type ProgressFigures,
} from '../../common/progress-line.js';
import { cclocald, makeHome, ROOT, runProgram, startDaemon } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const M = 'org/model';
const dl = (over: Partial<ProgressFigures> = {}): ProgressFigures => ({
  model: M, phase: 'downloading', bytes: 1 * GiB, rateBps: 32 * MiB, loadingS: 0, totalBytes: 4 * GiB, totalIsEstimate: false, ...over,
});
const bar = (p: number) => `${'#'.repeat(Math.round(p * 4))}${'-'.repeat(4 - Math.round(p * 4))}`;

test('the plain line: bytes of total, percent, rate and time left', () => {
  assert.equal(plainLine(dl()), `downloading ${M}: 1.0 of 4.0 GB (25%), 32.0 MB/s, about 2 min left`);
  assert.equal(plainLine(dl({ bytes: 3.9 * GiB, rateBps: 35 * MiB })), `downloading ${M}: 3.9 of 4.0 GB (97%), 35.0 MB/s, about 3 s left`);
});

test('an estimated total is marked as one', () => {
  assert.equal(plainLine(dl({ totalIsEstimate: true })), `downloading ${M}: 1.0 of ~4.0 GB (estimate, 25%), 32.0 MB/s, about 2 min left`);
  assert.equal(liveLine(dl({ totalIsEstimate: true }), bar), `⬇ ${M}  [#---] 25% 1.0/~4.0 GB (estimate)  32.0 MB/s  ETA 1m 36s`);
});

test('the live line draws the bar, percent, sizes, rate and ETA', () => {
  assert.equal(liveLine(dl(), bar), `⬇ ${M}  [#---] 25% 1.0/4.0 GB  32.0 MB/s  ETA 1m 36s`);
  assert.equal(liveLine(dl({ phase: 'loading', loadingS: 12 }), bar), `⏳ loading ${M} into memory… 12s`);
});

test('an unknown total: bytes and rate, no percent and no time left', () => {
  const f = dl({ totalBytes: null });
  assert.equal(plainLine(f), `downloading ${M}: 1.0 GB, 32.0 MB/s`);
  assert.equal(liveLine(f, bar), `⬇ ${M}  1.0 GB  32.0 MB/s`);
  assert.equal(percentOf(f), null);
  assert.equal(etaSeconds(f), null);
  assert.equal(plainLine(dl({ totalBytes: null, bytes: 0, rateBps: 0 })), `downloading ${M}: starting`);
});

test('no rate (nothing arrived lately): no rate and no time left, never "0.0 MB/s"', () => {
  const f = dl({ rateBps: 0 });
  assert.equal(plainLine(f), `downloading ${M}: 1.0 of 4.0 GB (25%)`);
  assert.equal(liveLine(f, bar), `⬇ ${M}  [#---] 25% 1.0/4.0 GB`);
});

test('loading shows the elapsed time', () => {
  assert.equal(plainLine(dl({ phase: 'loading', loadingS: 12 })), `loading ${M} into memory… 12s`);
});

test('percent, ETA and units', () => {
  assert.equal(percentOf({ bytes: 5, totalBytes: 4 }), 100, 'more than the total (a file the hub did not list) stays at 100%');
  assert.equal(etaSeconds({ bytes: 5, totalBytes: 4, rateBps: 1 }), null);
  assert.equal(etaSeconds({ bytes: 0, totalBytes: 100, rateBps: 30 }), 4, 'rounded up');
  assert.equal(shortDuration(48), '48s');
  assert.equal(shortDuration(192), '3m 12s');
  assert.equal(shortDuration(3900), '1h 05m');
  assert.equal(wordDuration(48), '48 s');
  assert.equal(wordDuration(192), '3 min');
  assert.equal(wordDuration(3900), '1 h 5 min');
  assert.deepEqual(sizePair(2 * MiB, 4 * MiB), { done: '2.0', total: '4.0', unit: 'MB' });
  assert.deepEqual(sizePair(250 * MiB, 800 * MiB), { done: '250', total: '800', unit: 'MB' });
  assert.deepEqual(sizePair(512 * MiB, 3 * GiB), { done: '0.5', total: '3.0', unit: 'GB' });
  assert.equal(progressEveryMs({}), 5000);
  assert.equal(progressEveryMs({ CCLOCAL_PROGRESS_EVERY_MS: '200' }), 200);
  assert.equal(progressEveryMs({ CCLOCAL_PROGRESS_EVERY_MS: 'soon' }), 5000);
});

test('outside a terminal: a line at once for a new phase or total, else at most every few seconds', () => {
  const out: string[] = [];
  let now = 0;
  const d = new ProgressDisplay({ stream: { write: (s: string) => out.push(s) }, tty: false, everyMs: 5000, now: () => now });
  d.show(dl({ totalBytes: null, bytes: 0, rateBps: 0 }));
  now = 1000; d.show(dl({ totalBytes: null }));
  now = 1500; d.show(dl()); // the total arrived
  now = 3000; d.show(dl({ bytes: 2 * GiB }));
  now = 6500; d.show(dl({ bytes: 3 * GiB }));
  now = 7000; d.show(dl({ phase: 'loading', loadingS: 0 }));
  now = 8000; d.show(dl({ phase: 'loading', loadingS: 1 }));
  d.note('engine crashed (metal-oom)');
  assert.deepEqual(out, [
    `downloading ${M}: starting\n`,
    `downloading ${M}: 1.0 of 4.0 GB (25%), 32.0 MB/s, about 2 min left\n`,
    `downloading ${M}: 3.0 of 4.0 GB (75%), 32.0 MB/s, about 32 s left\n`,
    `loading ${M} into memory… 0s\n`,
    'engine crashed (metal-oom)\n',
  ]);
});

test('on a terminal: one live line drawn by cli-progress, cleared for a note and at the end', () => {
  let out = '';
  const stream = { isTTY: true, columns: 120, write: (s: string) => { out += s; return true; } };
  const d = new ProgressDisplay({ stream, tty: true });
  d.show(dl());
  assert.match(out, new RegExp(`⬇ ${M}  \\[█{6}░{18}\\] 25% 1\\.0/4\\.0 GB  32\\.0 MB/s  ETA 1m 36s`));
  assert.doesNotMatch(out, /\n/, 'drawn in place');
  d.note('engine crashed (metal-oom)');
  assert.match(out, /engine crashed \(metal-oom\)\n$/);
  out = '';
  d.show(dl({ phase: 'loading', loadingS: 3 }));
  assert.match(out, new RegExp(`⏳ loading ${M} into memory… 3s`));
  d.stop();
  assert.match(out, /\x1b\[2K$/, 'the line is cleared at the end');
  // cursor and line wrapping are the terminal's own: nothing to restore after a Ctrl-C
  assert.doesNotMatch(out, /\x1b\[\?(25|7)[lh]/);
});

// cclocal's own output outside a terminal, against a real daemon and a stand-in hub.

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';

async function standInHub(t: TestContext): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url !== `/api/models/${GEMMA}?blobs=true`) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: GEMMA, siblings: [{ rfilename: 'config.json', size: 2 }, { rfilename: 'model.safetensors', size: 4 * MiB }] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(t, () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('cclocal outside a terminal prints download lines with the total, the percent and the time left, then the load', async (t) => {
  const hub = await standInHub(t);
  const home = makeHome(t, { env: {
    FAKE_VLLM_DOWNLOAD_BYTES: String(4 * MiB), FAKE_VLLM_DOWNLOAD_CHUNKS: '16', FAKE_VLLM_DOWNLOAD_CHUNK_MS: '120', FAKE_VLLM_LOAD_MS: '400',
    HF_ENDPOINT: hub, CCLOCAL_PROGRESS_EVERY_MS: '50',
  } });
  await startDaemon(t, home);
  onCleanup(t, () => cclocald(home, 'stop'));
  const r = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--gemma-light', '--server', '--no-mem-check'], { cwd: home.dir, env: home.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^downloading ${GEMMA}: [\\d.]+ of 4\\.0 MB \\(\\d+%\\), [\\d.]+ [KM]B/s, about \\d+ s left$`, 'm'));
  assert.match(r.stderr, new RegExp(`^loading ${GEMMA} into memory… \\d+s$`, 'm'));
  assert.doesNotMatch(r.stderr, /\x1b\[/, 'no terminal escapes in a pipe');
  assert.match(r.stdout, /Server running at/);
});
