// Watches an engine start: download progress from the size of the model's HF cache folder, and
// the stall clock. A start is given up only after stallMs with neither growth nor readiness, so a
// slow download never times out (seed #16); the clock also covers loading into memory.
import { dirBytes } from '../engine/hf-cache.js';

export interface StartProgress {
  phase: 'downloading' | 'loading';
  bytes: number;
  rateBps: number;
  /** Seconds since the last download growth (or the start): how long loading has taken. */
  loadingS: number;
}

export interface StartWatchOptions {
  cacheDir: string;
  intervalMs: number;
  stallMs: number;
  /** No growth for this long ends the downloading phase. */
  quietMs: number;
  now: () => number;
  onProgress(p: StartProgress): void;
  onStall(): void;
}

export class StartWatch {
  #timer: NodeJS.Timeout | null;
  #lastBytes: number;
  #lastAt: number;
  #lastGrowthAt: number | null = null;
  readonly #startedAt: number;

  constructor(private readonly o: StartWatchOptions) {
    this.#startedAt = o.now();
    this.#lastAt = this.#startedAt;
    this.#lastBytes = dirBytes(o.cacheDir);
    this.#timer = setInterval(() => this.#tick(), o.intervalMs);
    this.#timer.unref();
  }

  #tick(): void {
    const now = this.o.now();
    const bytes = dirBytes(this.o.cacheDir);
    const grew = bytes > this.#lastBytes;
    const rateBps = grew ? Math.round(((bytes - this.#lastBytes) * 1000) / Math.max(1, now - this.#lastAt)) : 0;
    if (grew) this.#lastGrowthAt = now;
    this.#lastBytes = bytes;
    this.#lastAt = now;
    const sinceActivity = now - (this.#lastGrowthAt ?? this.#startedAt);
    const downloading = this.#lastGrowthAt !== null && now - this.#lastGrowthAt < this.o.quietMs;
    this.o.onProgress({ phase: downloading ? 'downloading' : 'loading', bytes, rateBps, loadingS: downloading ? 0 : Math.floor(sinceActivity / 1000) });
    if (sinceActivity >= this.o.stallMs) {
      this.stop();
      this.o.onStall();
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
