// Watches an engine start: download progress from the size of the model's download folder (the
// engine kind says where), and the stall clock. A start is given up only after stallMs with neither growth nor readiness, so a
// slow download never times out (seed #16); the clock also covers loading into memory. The
// download's total (engine/hub-size.ts) is asked for when the folder first grows; once the folder
// holds it and nothing is being written, the download is over at once, not after the quiet time.
import { dirBytes } from '../engine/hf-cache.js';
import type { DownloadTotalSource } from '../engine/hub-size.js';

export interface StartProgress {
  phase: 'downloading' | 'loading';
  bytes: number;
  rateBps: number;
  /** Seconds since the last download growth (or the start): how long loading has taken. */
  loadingS: number;
  /** The download's size once known (the hub's, or the catalog's estimate), else null. */
  totalBytes: number | null;
  totalIsEstimate: boolean;
}

/** The rate is the growth over this much of the recent past: steady enough for a time left, and
 *  it falls to 0 this long after the last byte. */
export const RATE_WINDOW_MS = 3000;
/** The hub's total counts files an engine may skip (a README, .gitattributes): a folder this
 *  close to it, with no file being written, holds the whole download. */
export const COMPLETE_SHARE = 0.99;

export interface StartWatchOptions {
  /** The folder a download grows; null when the model is a local file. */
  cacheDir: string | null;
  /** Whether the engine is writing a file there (a download in progress). */
  isWriting(dir: string): boolean;
  /** The phase until the folder first grows: downloading when the model was not cached yet
   *  (huggingface_hub resolves the repo before it writes a byte), else loading. */
  initialPhase: StartProgress['phase'];
  intervalMs: number;
  stallMs: number;
  /** No growth for this long ends the downloading phase (when the total cannot tell sooner). */
  quietMs: number;
  /** The download's size; begun at the first growth, stopped with the watch. */
  total?: DownloadTotalSource;
  now: () => number;
  onProgress(p: StartProgress): void;
  onStall(): void;
}

export interface PhaseInputs {
  initialPhase: StartProgress['phase'];
  startedAt: number;
  /** When the folder last grew; null if it has not grown since the start. */
  lastGrowthAt: number | null;
  now: number;
  quietMs: number;
  /** The engine has a download file open (huggingface_hub's `.incomplete`, llama.cpp's `.downloadInProgress`). */
  isWritingBlob: boolean;
  /** The folder holds the hub's total (not an estimate's): see COMPLETE_SHARE. */
  holdsTotal?: boolean;
}

/** Pure: which phase a start is in. A blob still being written means downloading, even through a
 *  pause (a slow mirror, a busy disk). With nothing being written, a folder that holds the hub's
 *  total is done at once; otherwise, between two files, only the quiet time can tell. An uncached
 *  model counts as downloading from its start (the hub resolves the repo before the first byte)
 *  until a quiet time has passed with nothing written: then it was already there somewhere. */
export function startPhase(i: PhaseInputs): StartProgress['phase'] {
  const lastActivity = i.lastGrowthAt ?? (i.initialPhase === 'downloading' ? i.startedAt : null);
  if (lastActivity === null) return 'loading';
  if (i.isWritingBlob) return 'downloading';
  if (i.holdsTotal) return 'loading';
  return i.now - lastActivity < i.quietMs ? 'downloading' : 'loading';
}

/** Pure: bytes per second over the samples (oldest first; the newest is now); 0 without growth. */
export function windowRate(samples: ReadonlyArray<{ at: number; bytes: number }>): number {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at <= first.at || last.bytes <= first.bytes) return 0;
  return Math.round(((last.bytes - first.bytes) * 1000) / (last.at - first.at));
}

export class StartWatch {
  #timer: NodeJS.Timeout | null;
  #lastBytes: number;
  #lastGrowthAt: number | null = null;
  /** (time, bytes) of the ticks within RATE_WINDOW_MS, and the one just before them. */
  #samples: Array<{ at: number; bytes: number }>;
  readonly #startedAt: number;

  constructor(private readonly o: StartWatchOptions) {
    this.#startedAt = o.now();
    this.#lastBytes = this.#bytes();
    this.#samples = [{ at: this.#startedAt, bytes: this.#lastBytes }];
    this.#timer = setInterval(() => this.#tick(), o.intervalMs);
    this.#timer.unref();
  }

  #bytes(): number {
    return this.o.cacheDir ? dirBytes(this.o.cacheDir) : 0;
  }

  #tick(): void {
    const now = this.o.now();
    const bytes = this.#bytes();
    const grew = bytes > this.#lastBytes;
    if (grew) {
      this.#lastGrowthAt = now;
      this.o.total?.begin();
    }
    this.#lastBytes = bytes;
    this.#samples.push({ at: now, bytes });
    // Keep one sample at or before the window's start, so the window spans all of it.
    while (this.#samples.length > 2 && this.#samples[1]!.at <= now - RATE_WINDOW_MS) this.#samples.shift();
    const total = this.o.total?.current() ?? null;
    const sinceActivity = now - (this.#lastGrowthAt ?? this.#startedAt);
    const phase = startPhase({
      initialPhase: this.o.initialPhase, startedAt: this.#startedAt, lastGrowthAt: this.#lastGrowthAt, now, quietMs: this.o.quietMs,
      isWritingBlob: this.o.cacheDir !== null && this.o.isWriting(this.o.cacheDir),
      holdsTotal: total !== null && !total.estimate && bytes >= total.bytes * COMPLETE_SHARE,
    });
    const downloading = phase === 'downloading';
    this.o.onProgress({
      phase, bytes, rateBps: downloading ? windowRate(this.#samples) : 0, loadingS: downloading ? 0 : Math.floor(sinceActivity / 1000),
      totalBytes: total?.bytes ?? null, totalIsEstimate: total?.estimate ?? false,
    });
    if (sinceActivity >= this.o.stallMs) {
      this.stop();
      this.o.onStall();
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.o.total?.stop();
  }
}
