// How big a model's download is: asked of the Hugging Face hub the engine downloads from (its
// model info, `GET <endpoint>/api/models/<repo>?blobs=true`, lists each file with its size), else
// the catalog's estimate, marked as one. Asked once per start, when the download folder first
// grows, never before the start goes on: the progress events carry the figure once it is known.
import { basename } from 'node:path';
import type { ResolvedModel } from '../../common/catalog.js';
import type { LocalKindName } from '../protocol/protocol.js';
import { isWantedGguf } from './llama-server.js';

/** A download's size: the hub's sum of the files the engine fetches, or the catalog's estimate. */
export interface DownloadTotal { bytes: number; estimate: boolean }

/** What a start watch asks: begin() when the download is seen (idempotent), current() each tick,
 *  stop() when the start is over (a question still in flight is dropped). */
export interface DownloadTotalSource {
  begin(): void;
  current(): DownloadTotal | null;
  stop(): void;
}

/** The hub a download comes from, as the engine's own environment names it. */
export interface HubSource {
  /** Without a trailing slash. */
  endpoint: string;
  /** HF_TOKEN, sent to that endpoint only (the engine sends it there too); null when unset. */
  token: string | null;
  /** HF_HUB_OFFLINE: the engine will not download, so nothing is asked. */
  offline: boolean;
}

export const DEFAULT_HUB = 'https://huggingface.co';
/** A model info answer that takes longer is not waited for: the estimate stands in. */
export const HUB_TIMEOUT_MS = 5000;
/** The largest model info read (a repo of thousands of files is a few hundred KB). */
const MAX_INFO_BYTES = 8 * 1024 * 1024;

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/** huggingface_hub reads HF_ENDPOINT; llama.cpp reads MODEL_ENDPOINT first, then HF_ENDPOINT
 *  (common/arg.cpp's get_model_endpoint). `env` is what the engine inherits. */
export function hubSource(env: Readonly<Record<string, string>>, kind: LocalKindName): HubSource {
  const named = (kind === 'llama-server' ? env.MODEL_ENDPOINT : undefined) || env.HF_ENDPOINT || DEFAULT_HUB;
  return { endpoint: named.replace(/\/+$/, ''), token: env.HF_TOKEN || null, offline: truthy(env.HF_HUB_OFFLINE) };
}

/** The model info URL of a repo (org/name: only [A-Za-z0-9._-] in each part, nothing to escape). */
export function modelInfoUrl(endpoint: string, repo: string): string {
  return `${endpoint}/api/models/${repo}?blobs=true`;
}

/** Which of a repo's files the engine downloads: llama-server the .gguf file(s) of the quant (a
 *  split model's parts, often in a folder named after it; never the mmproj projector), vllm-mlx
 *  the whole snapshot. */
export function downloadedFile(kind: LocalKindName, quant: string | undefined): (rfilename: string) => boolean {
  if (kind !== 'llama-server') return () => true;
  // With no quant named, llama.cpp's -hf takes the repo's Q4_K_M: not every quant it holds.
  const q = (quant ?? 'Q4_K_M').toLowerCase();
  return (f) => isWantedGguf(basename(f), undefined) && f.toLowerCase().includes(q);
}

/** Pure: the bytes of the wanted files in a model info answer; null when it lists none, or any
 *  wanted file without a size (a partial sum would read as a finished download too early). */
export function totalFromModelInfo(info: unknown, wanted: (rfilename: string) => boolean): number | null {
  const siblings = (info as { siblings?: unknown } | null)?.siblings;
  if (!Array.isArray(siblings)) return null;
  let total = 0;
  let files = 0;
  for (const s of siblings as Array<{ rfilename?: unknown; size?: unknown }>) {
    if (typeof s?.rfilename !== 'string' || !wanted(s.rfilename)) continue;
    if (typeof s.size !== 'number' || !Number.isFinite(s.size) || s.size < 0) return null;
    total += s.size;
    files++;
  }
  return files > 0 && total > 0 ? total : null;
}

/** The catalog's on-disk estimate (sizeGB), for a model in the catalog. */
export function estimatedBytes(model: ResolvedModel): number | null {
  return model.entry ? Math.round(model.entry.sizeGB * 1024 ** 3) : null;
}

export type Fetch = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

/** Asks the hub; the answer's total, or why there is none (for the log). Never throws. */
export async function askHub(o: { source: HubSource; repo: string; wanted: (f: string) => boolean; signal: AbortSignal; fetch?: Fetch }): Promise<{ bytes: number } | { why: string }> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'cclocald' };
  if (o.source.token) headers.authorization = `Bearer ${o.source.token}`;
  try {
    const res = await (o.fetch ?? fetch)(modelInfoUrl(o.source.endpoint, o.repo), { headers, signal: o.signal });
    if (!res.ok) {
      await res.body?.cancel();
      return { why: `the hub answered ${res.status}` };
    }
    const text = await readCapped(res, MAX_INFO_BYTES);
    if (text === null) return { why: 'the model info is too large' };
    const bytes = totalFromModelInfo(JSON.parse(text), o.wanted);
    return bytes === null ? { why: 'the model info lists no size for the files the engine downloads' } : { bytes };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { why: e.name === 'AbortError' ? 'aborted' : (e.cause?.code ?? e.message) };
  }
}

async function readCapped(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface HubTotalOptions {
  model: ResolvedModel;
  kind: LocalKindName;
  source: HubSource;
  timeoutMs?: number;
  fetch?: Fetch;
  /** Told once how it ended: the hub's figure, the estimate or nothing, and why not the hub's. */
  onSettled?(total: DownloadTotal | null, why: string | null): void;
}

/** One start's download total: nothing until the hub answers (at most timeoutMs), then its figure,
 *  or the catalog's estimate when it cannot (offline, an error, no sizes), or null without one. */
export class HubTotal implements DownloadTotalSource {
  #began = false;
  #settled = false;
  #total: DownloadTotal | null = null;
  /** Aborted when the time is up or the start is over. */
  readonly #asking = new AbortController();
  #stopped = false;

  constructor(private readonly o: HubTotalOptions) {}

  begin(): void {
    if (this.#began) return;
    this.#began = true;
    const src = this.o.model.source;
    if (!('repo' in src)) return this.#settle(null, 'a local file');
    if (this.o.source.offline) return this.#settle(null, 'HF_HUB_OFFLINE is set');
    let late = false;
    const timer = setTimeout(() => { late = true; this.#asking.abort(); }, this.o.timeoutMs ?? HUB_TIMEOUT_MS);
    timer.unref();
    void askHub({ source: this.o.source, repo: src.repo, wanted: downloadedFile(this.o.kind, src.quant), signal: this.#asking.signal, fetch: this.o.fetch })
      .then((r) => {
        clearTimeout(timer);
        this.#settle('bytes' in r ? r.bytes : null, late ? 'no answer in time' : 'why' in r ? r.why : null);
      });
  }

  current(): DownloadTotal | null {
    return this.#total;
  }

  stop(): void {
    this.#stopped = true;
    this.#asking.abort();
  }

  #settle(hubBytes: number | null, why: string | null): void {
    if (this.#settled || this.#stopped) return;
    this.#settled = true;
    const estimate = estimatedBytes(this.o.model);
    this.#total = hubBytes !== null ? { bytes: hubBytes, estimate: false } : estimate !== null ? { bytes: estimate, estimate: true } : null;
    this.o.onSettled?.(this.#total, hubBytes !== null ? null : why);
  }
}
