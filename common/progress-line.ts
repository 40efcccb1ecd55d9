// What a download or a load looks like to a person, the same in `cclocal` and `cclocald load`:
// on a terminal one live line drawn by cli-progress,
//   ⬇ <model>  [████░░░░] 42% 1.2/2.9 GB  35.0 MB/s  ETA 48s
// elsewhere (a pipe, a log) a line every few seconds,
//   downloading <model>: 1.2 of 2.9 GB (42%), 35.0 MB/s, about 48 s left
// and while loading, `loading <model> into memory… 12s`. A total that is the catalog's estimate
// (the hub did not answer) says so: `~2.9 GB (estimate)`. The formatting is pure; ProgressDisplay
// decides when to draw.
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { DaemonEvent } from '../daemon/protocol/protocol.js';

export type ProgressEvent = Extract<DaemonEvent, { type: 'progress' }>;
/** The figures a line is made of (a progress event, or status's progress with its model and phase). */
export type ProgressFigures = Pick<ProgressEvent, 'model' | 'phase' | 'bytes' | 'rateBps' | 'loadingS' | 'totalBytes' | 'totalIsEstimate'>;

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** Outside a terminal, a progress line at most this often (a new phase or total at once). */
export const DEFAULT_EVERY_MS = 5000;

/** CCLOCAL_PROGRESS_EVERY_MS when it is a whole number of milliseconds, else the default. */
export function progressEveryMs(env: Readonly<Record<string, string | undefined>>): number {
  const n = Number(env.CCLOCAL_PROGRESS_EVERY_MS);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_EVERY_MS;
}

/** One unit for a pair of sizes, chosen by the larger: "1.2" and "2.9" with "GB". */
export function sizePair(bytes: number, total: number | null): { done: string; total: string | null; unit: string } {
  const top = Math.max(bytes, total ?? 0);
  const [div, unit] = top >= GiB ? [GiB, 'GB'] : top >= MiB ? [MiB, 'MB'] : [KiB, 'KB'];
  const digits = unit === 'KB' || (unit === 'MB' && top / div >= 10) ? 0 : 1;
  const f = (n: number) => (n / div).toFixed(digits);
  return { done: f(bytes), total: total === null ? null : f(total), unit };
}

export function formatRate(bps: number): string {
  return bps >= MiB ? `${(bps / MiB).toFixed(1)} MB/s` : `${Math.round(bps / KiB)} KB/s`;
}

/** Whole percent of the total, at most 100; null without a total. */
export function percentOf(f: Pick<ProgressFigures, 'bytes' | 'totalBytes'>): number | null {
  if (f.totalBytes === null || f.totalBytes <= 0) return null;
  return Math.floor(Math.min(1, f.bytes / f.totalBytes) * 100);
}

/** Seconds left: (total − bytes) / rate, when both are known and something is left. */
export function etaSeconds(f: Pick<ProgressFigures, 'bytes' | 'totalBytes' | 'rateBps'>): number | null {
  if (f.totalBytes === null || f.rateBps <= 0 || f.bytes >= f.totalBytes) return null;
  return Math.ceil((f.totalBytes - f.bytes) / f.rateBps);
}

/** "48s", "3m 12s", "1h 05m" for the live line. */
export function shortDuration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "48 s", "3 min", "1 h 5 min" for the plain line. */
export function wordDuration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function loadingLine(f: Pick<ProgressFigures, 'model' | 'loadingS'>): string {
  return `loading ${f.model} into memory… ${f.loadingS}s`;
}

/** The plain line: `downloading <model>: 1.2 of ~2.9 GB (estimate, 42%), 35.0 MB/s, about 48 s left`. */
export function plainLine(f: ProgressFigures): string {
  if (f.phase === 'loading') return loadingLine(f);
  if (f.bytes === 0 && f.rateBps === 0 && f.totalBytes === null) return `downloading ${f.model}: starting`;
  const size = sizePair(f.bytes, f.totalBytes);
  const pct = percentOf(f);
  const eta = etaSeconds(f);
  const parts = [size.total === null
    ? `${size.done} ${size.unit}`
    : `${size.done} of ${f.totalIsEstimate ? '~' : ''}${size.total} ${size.unit} (${f.totalIsEstimate ? 'estimate, ' : ''}${pct}%)`];
  if (f.rateBps > 0) parts.push(formatRate(f.rateBps));
  if (eta !== null) parts.push(`about ${wordDuration(eta)} left`);
  return `downloading ${f.model}: ${parts.join(', ')}`;
}

/** The live line; `bar` draws the bar for a fraction (cli-progress's own bar on a terminal). */
export function liveLine(f: ProgressFigures, bar: (progress: number) => string): string {
  if (f.phase === 'loading') return `⏳ ${loadingLine(f)}`;
  const size = sizePair(f.bytes, f.totalBytes);
  const pct = percentOf(f);
  const eta = etaSeconds(f);
  const parts = [`⬇ ${f.model}`];
  parts.push(size.total === null || pct === null
    ? `${size.done} ${size.unit}`
    : `[${bar(pct / 100)}] ${pct}% ${size.done}/${f.totalIsEstimate ? '~' : ''}${size.total} ${size.unit}${f.totalIsEstimate ? ' (estimate)' : ''}`);
  if (f.rateBps > 0) parts.push(formatRate(f.rateBps));
  if (eta !== null) parts.push(`ETA ${shortDuration(eta)}`);
  return parts.join('  ');
}

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressDisplayOptions {
  stream: ProgressStream;
  /** A terminal: one live line (cli-progress); else plain lines at most every everyMs. */
  tty: boolean;
  everyMs?: number;
  now?: () => number;
}

/** Draws a load's progress events, and the other lines a load prints, without mixing them up. */
export class ProgressDisplay {
  #bar: CliProgress.SingleBar | null = null;
  #barOn = false;
  #lastKey: string | null = null;
  #lastAt = 0;
  readonly #everyMs: number;
  readonly #now: () => number;

  constructor(private readonly o: ProgressDisplayOptions) {
    this.#everyMs = o.everyMs ?? DEFAULT_EVERY_MS;
    this.#now = o.now ?? Date.now;
  }

  show(e: ProgressFigures): void {
    if (this.o.tty) return this.#draw(e);
    // A new phase, or a total that appeared or changed its kind, at once; else every #everyMs.
    const key = `${e.phase}/${e.totalBytes === null ? 'none' : e.totalIsEstimate ? 'estimate' : 'hub'}`;
    const now = this.#now();
    if (key === this.#lastKey && now - this.#lastAt < this.#everyMs) return;
    this.#lastKey = key;
    this.#lastAt = now;
    this.o.stream.write(`${plainLine(e)}\n`);
  }

  /** A line of its own (a crash, a restart): above the live line, which is drawn again next time. */
  note(line: string): void {
    this.#clear();
    this.o.stream.write(`${line}\n`);
  }

  /** The end of the load: the live line goes. */
  stop(): void {
    this.#clear();
  }

  #draw(e: ProgressFigures): void {
    const fraction = (percentOf(e) ?? 0) / 100;
    if (!this.#bar) {
      // Loaded when a bar is first drawn: its ~18 ms import stays off every warm attach.
      const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
      this.#bar = new cliProgress.SingleBar({
        stream: this.o.stream as NodeJS.WritableStream,
        format: (options, _params, payload: { f: ProgressFigures }) => liveLine(payload.f, (p) => cliProgress.Format.BarFormat(p, options)),
        barsize: 24,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        // Leave the terminal's own settings alone (a Ctrl-C must not leave the cursor hidden or
        // wrapping off): cli-progress then cuts the line to the terminal's width itself.
        hideCursor: false,
        linewrap: true,
        clearOnComplete: true,
        fps: 10,
      });
    }
    if (!this.#barOn) {
      this.#bar.start(1, fraction, { f: e });
      this.#barOn = true;
    } else {
      this.#bar.update(fraction, { f: e });
    }
  }

  #clear(): void {
    if (this.#bar && this.#barOn) this.#bar.stop();
    this.#barOn = false;
  }
}
