// A download's total: asked of the Hugging Face hub the engine downloads from (HF_ENDPOINT, here a
// loopback stand-in answering /api/models/<repo>?blobs=true), else the catalog's estimate, marked
// as one; and a download that has its whole total on disk ends at once, not after the quiet time.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { resolveModel } from '../../common/catalog.js';
import { downloadedFile, estimatedBytes, HubTotal, hubSource, modelInfoUrl, totalFromModelInfo, type DownloadTotal } from '../../daemon/engine/hub-size.js';
import { startPhase, windowRate } from '../../daemon/supervisor/start-watch.js';
import type { DaemonEvent } from '../../daemon/protocol/protocol.js';
import { cclocald, makeHome, startDaemon } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const GEMMA = 'mlx-community/gemma-4-e4b-it-4bit';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
type Progress = Extract<DaemonEvent, { type: 'progress' }>;
const isProgress = (e: DaemonEvent): e is Progress => e.type === 'progress';

/** A stand-in for the hub's model info: each repo's siblings with their sizes; every request kept. */
async function standInHub(t: TestContext, repos: Record<string, Array<{ rfilename: string; size: number }>>) {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const repo = url.pathname.replace(/^\/api\/models\//, '');
    const siblings = repos[repo];
    if (!siblings || url.searchParams.get('blobs') !== 'true') return void res.writeHead(404).end('{"error":"Repository not found"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: repo, siblings }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(t, () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A loopback port nothing listens on: a hub that is down. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// The stand-in engine writes FAKE_VLLM_DOWNLOAD_BYTES into the cache in chunks, then config.json.
const DOWNLOAD = 4 * MiB;
const downloadEnv = (chunks = 8) => ({ FAKE_VLLM_DOWNLOAD_BYTES: String(DOWNLOAD), FAKE_VLLM_DOWNLOAD_CHUNKS: String(chunks), FAKE_VLLM_DOWNLOAD_CHUNK_MS: '120' });
const gemmaFiles = [
  { rfilename: '.gitattributes', size: 0 },
  { rfilename: 'config.json', size: 2 },
  { rfilename: 'model.safetensors', size: DOWNLOAD },
];

test('the progress events carry the hub\'s total (not an estimate), asked once with the token, and the download ends as soon as it is on disk', async (t) => {
  const hub = await standInHub(t, { [GEMMA]: gemmaFiles });
  // A quiet time far beyond the test's deadline: only the total can end the download phase.
  const home = makeHome(t, { config: { downloadQuietMs: 600_000 }, env: { ...downloadEnv(), HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_stand_in' } });
  // The engine loads until this file exists, so that status is asked while it loads.
  const hold = join(home.dir, 'loaded');
  home.env.FAKE_VLLM_LOAD_HOLD_FILE = hold;
  const d = await startDaemon(t, home);
  const loading = d.rpc.request('load', { model: 'gemma-light' });
  const withTotal = await d.events.next((e): e is Progress => isProgress(e) && e.phase === 'downloading' && e.totalBytes !== null, 'a download progress event with a total');
  assert.equal(withTotal.totalBytes, DOWNLOAD + 2);
  assert.equal(withTotal.totalIsEstimate, false);
  const loadingEvent = await d.events.next((e): e is Progress => isProgress(e) && e.phase === 'loading', 'the loading phase once the total is on disk');
  assert.equal(loadingEvent.totalBytes, DOWNLOAD + 2);
  assert.ok(loadingEvent.loadingS < 60, 'loading is timed from the last byte');
  // status says the same while the engine loads.
  const s = await d.rpc.request('status');
  assert.equal(s.engine.state, 'loading');
  assert.equal(s.engine.progress?.totalBytes, DOWNLOAD + 2);
  assert.equal(s.engine.progress?.totalIsEstimate, false);
  writeFileSync(hold, '');
  await loading;
  // Asked once, for that repo's file sizes, with the daemon's Hugging Face token and nothing else of it.
  assert.equal(hub.seen.length, 1);
  assert.equal(hub.seen[0]!.url, `/api/models/${GEMMA}?blobs=true`);
  assert.equal(hub.seen[0]!.headers.authorization, 'Bearer hf_stand_in');
  const states = d.events.ofType('state').map((e) => e.to);
  assert.deepEqual(states, ['downloading', 'loading', 'ready']);
});

test('with the hub down, the total is the catalog\'s estimate, marked as one', async (t) => {
  const home = makeHome(t, { env: { ...downloadEnv(), HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}` } });
  const d = await startDaemon(t, home);
  const loading = d.rpc.request('load', { model: 'gemma-light' });
  const p = await d.events.next((e): e is Progress => isProgress(e) && e.totalBytes !== null, 'a progress event with the estimate');
  assert.equal(p.totalBytes, 5 * GiB, 'gemma-light is ~5 GB in the catalog');
  assert.equal(p.totalIsEstimate, true);
  await loading;
  const log = readFileSync(home.paths.daemonLog, 'utf8');
  assert.match(log, /"estimate":true[^\n]*download size not from the hub/);
  assert.match(log, /"why":"ECONNREFUSED"/);
});

test('a model the hub does not know and the catalog has no size for has no total', async (t) => {
  const hub = await standInHub(t, {});
  const home = makeHome(t, { env: { ...downloadEnv(4), HF_ENDPOINT: hub.url } });
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'someone/custom-model-4bit' });
  assert.equal(hub.seen.length, 1, 'the hub was asked');
  const progress = d.events.ofType('progress');
  assert.ok(progress.some((e) => e.phase === 'downloading' && e.bytes > 0), 'it downloaded');
  assert.ok(progress.every((e) => e.totalBytes === null && !e.totalIsEstimate));
});

test('cclocald load outside a terminal prints a progress line with the total, the percent and the time left', async (t) => {
  const hub = await standInHub(t, { [GEMMA]: gemmaFiles });
  const home = makeHome(t, { env: { ...downloadEnv(16), HF_ENDPOINT: hub.url, CCLOCAL_PROGRESS_EVERY_MS: '50', FAKE_VLLM_LOAD_MS: '400' } });
  await startDaemon(t, home);
  const r = await cclocald(home, 'load', 'gemma-light');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^downloading ${GEMMA}: [\\d.]+ of 4\\.0 MB \\(\\d+%\\), [\\d.]+ [KM]B/s, about \\d+ s left$`, 'm'));
  assert.match(r.stderr, new RegExp(`^loading ${GEMMA} into memory… \\d+s$`, 'm'));
  assert.doesNotMatch(r.stderr, /\x1b\[/, 'no terminal escapes in a pipe');
  assert.match(r.stdout, /^ready: /);
});

// The pure parts.

test('the total sums the files the engine downloads: everything for vllm-mlx, the quant\'s .gguf parts for llama-server', () => {
  const info = { siblings: [
    { rfilename: 'README.md', size: 10 },
    { rfilename: 'model-Q4_K_M.gguf', size: 1000 },
    { rfilename: 'model-Q8_0.gguf', size: 2000 },
    { rfilename: 'mmproj-F16.gguf', size: 300 },
    { rfilename: 'Q4_K_M/model-Q4_K_M-00001-of-00002.gguf', size: 40 },
    { rfilename: 'Q4_K_M/model-Q4_K_M-00002-of-00002.gguf', size: 50 },
  ] };
  assert.equal(totalFromModelInfo(info, downloadedFile('vllm-mlx', undefined)), 3400);
  assert.equal(totalFromModelInfo(info, downloadedFile('llama-server', 'Q4_K_M')), 1090);
  assert.equal(totalFromModelInfo(info, downloadedFile('llama-server', 'q8_0')), 2000);
  assert.equal(totalFromModelInfo(info, downloadedFile('llama-server', 'IQ2_XXS')), null, 'no such quant: no total');
  assert.equal(totalFromModelInfo({ siblings: [{ rfilename: 'a.gguf' }] }, () => true), null, 'a file without a size: no total');
  assert.equal(totalFromModelInfo({ error: 'nope' }, () => true), null);
  assert.equal(totalFromModelInfo(null, () => true), null);
});

test('the hub is the one the engine downloads from; the estimate comes from the catalog', () => {
  assert.deepEqual(hubSource({}, 'vllm-mlx'), { endpoint: 'https://huggingface.co', token: null, offline: false });
  assert.deepEqual(hubSource({ HF_ENDPOINT: 'http://127.0.0.1:9/', HF_TOKEN: 'hf_x', HF_HUB_OFFLINE: '1' }, 'vllm-mlx'), { endpoint: 'http://127.0.0.1:9', token: 'hf_x', offline: true });
  // llama.cpp reads MODEL_ENDPOINT before HF_ENDPOINT; huggingface_hub only HF_ENDPOINT.
  assert.equal(hubSource({ MODEL_ENDPOINT: 'http://m', HF_ENDPOINT: 'http://h' }, 'llama-server').endpoint, 'http://m');
  assert.equal(hubSource({ MODEL_ENDPOINT: 'http://m', HF_ENDPOINT: 'http://h' }, 'vllm-mlx').endpoint, 'http://h');
  assert.equal(modelInfoUrl('https://huggingface.co', GEMMA), `https://huggingface.co/api/models/${GEMMA}?blobs=true`);
  assert.equal(estimatedBytes(resolveModel('coder')!), 18 * GiB);
  assert.equal(estimatedBytes(resolveModel('org/custom')!), null);
});

test('offline (HF_HUB_OFFLINE), nothing is asked and the estimate stands', async () => {
  let asked = 0;
  const settled = new Promise<DownloadTotal | null>((resolve) => {
    const total = new HubTotal({ model: resolveModel('gemma-light')!, kind: 'vllm-mlx', source: hubSource({ HF_HUB_OFFLINE: '1' }, 'vllm-mlx'), fetch: async () => { asked++; throw new Error('asked'); }, onSettled: (t) => resolve(t) });
    total.begin();
  });
  assert.deepEqual(await settled, { bytes: 5 * GiB, estimate: true });
  assert.equal(asked, 0);
});

/** A hub that never answers until the question is aborted. */
const silentHub = (_url: string, init: { signal: AbortSignal }) =>
  new Promise<Response>((_r, reject) => init.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))));

test('a hub that does not answer in time leaves the estimate; a start that ends first leaves nothing', async () => {
  const gemma = resolveModel('gemma-light')!;
  // The lookup's own timer does not hold a process open (the daemon's exit must not wait for it).
  const keepAlive = setInterval(() => {}, 1000);
  const settled = await new Promise<[DownloadTotal | null, string | null]>((resolve) => {
    new HubTotal({ model: gemma, kind: 'vllm-mlx', source: hubSource({}, 'vllm-mlx'), timeoutMs: 20, fetch: silentHub, onSettled: (tot, why) => resolve([tot, why]) }).begin();
  }).finally(() => clearInterval(keepAlive));
  assert.deepEqual(settled, [{ bytes: 5 * GiB, estimate: true }, 'no answer in time']);
  let told = 0;
  const total = new HubTotal({ model: gemma, kind: 'vllm-mlx', source: hubSource({}, 'vllm-mlx'), fetch: silentHub, onSettled: () => { told++; } });
  total.begin();
  total.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(total.current(), null);
  assert.equal(told, 0);
});

test('a folder that holds the hub\'s total with nothing being written is loading at once; an estimate waits for the quiet time', () => {
  const base = { initialPhase: 'downloading' as const, startedAt: 0, lastGrowthAt: 9900, now: 10_000, quietMs: 5000, isWritingBlob: false };
  assert.equal(startPhase({ ...base, holdsTotal: true }), 'loading');
  assert.equal(startPhase({ ...base, holdsTotal: false }), 'downloading');
  assert.equal(startPhase({ ...base, holdsTotal: true, isWritingBlob: true }), 'downloading', 'a file still being written is downloading');
});

test('the rate is the growth over the recent window, 0 without growth', () => {
  assert.equal(windowRate([{ at: 0, bytes: 0 }, { at: 1000, bytes: 1000 }, { at: 2000, bytes: 3000 }]), 1500);
  assert.equal(windowRate([{ at: 0, bytes: 5 }, { at: 1000, bytes: 5 }]), 0);
  assert.equal(windowRate([{ at: 0, bytes: 5 }]), 0);
});
