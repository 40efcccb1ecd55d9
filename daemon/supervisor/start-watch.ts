// Watches an engine start: download progress from the size of the model's download folder (the
// engine kind says where), and the stall clock. A start is given up only after stallMs with neither growth nor readiness, so a
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
  /** The folder a download grows; null when the model is a local file. */
  cacheDir: string | null;
  /** Whether the engine is writing a file there (a download in progress). */
  isWriting(dir: string): boolean;
  /** The phase until the folder first grows: downloading when the model was not cached yet
   *  (huggingface_hub resolves the repo before it writes a byte), else loading. */
  initialPhase: StartProgress['phase'];
  intervalMs: number;
  stallMs: number;
  /** No growth for this long ends the downloading phase. */
  quietMs: number;
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
}

/** Pure: which phase a start is in. A blob still being written means downloading, even through a
 *  pause (a slow mirror, a busy disk); between two files only the quiet time can tell. An uncached
 *  model counts as downloading from its start (the hub resolves the repo before the first byte)
 *  until a quiet time has passed with nothing written: then it was already there somewhere. */
export function startPhase(i: PhaseInputs): StartProgress['phase'] {
  const lastActivity = i.lastGrowthAt ?? (i.initialPhase === 'downloading' ? i.startedAt : null);
  if (lastActivity === null) return 'loading';
  return i.isWritingBlob || i.now - lastActivity < i.quietMs ? 'downloading' : 'loading';
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
    this.#lastBytes = this.#bytes();
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
    const rateBps = grew ? Math.round(((bytes - this.#lastBytes) * 1000) / Math.max(1, now - this.#lastAt)) : 0;
    if (grew) this.#lastGrowthAt = now;
    this.#lastBytes = bytes;
    this.#lastAt = now;
    const sinceActivity = now - (this.#lastGrowthAt ?? this.#startedAt);
    const phase = startPhase({ initialPhase: this.o.initialPhase, startedAt: this.#startedAt, lastGrowthAt: this.#lastGrowthAt, now, quietMs: this.o.quietMs, isWritingBlob: this.o.cacheDir !== null && this.o.isWriting(this.o.cacheDir) });
    const downloading = phase === 'downloading';
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
