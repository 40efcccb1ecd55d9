// The seed's memory math (run.sh memory_preflight), pure. Inputs come from platform/sysctl.
import type { PreflightResult } from './protocol/protocol.js';

const MIB = 1024 * 1024;
/** Under this much GPU memory left after the weights, long agentic contexts OOM-crashed (seed #17). */
export const TIGHT_HEADROOM_BYTES = 6 * 1024 * MIB;
/** The seed's raised wired limit leaves this much for macOS. */
export const OS_RESERVE_MB = 3072;

export interface PreflightInputs {
  /** hw.memsize; 0 when unknown. */
  totalBytes: number;
  /** iogpu.wired_limit_mb; 0 means the macOS default (about 75% of RAM). */
  wiredLimitMb: number;
  /** The model's folder in the HF cache; 0 when not cached. */
  cachedBytes: number;
  /** The catalog's estimate; 0 for a custom id. */
  catalogBytes: number;
  /** The window the model would load with now: an earlier decision, else the default. */
  contextWindow: number;
  /** The model's default window, where a recommendation starts (never from an earlier shrink,
   *  which would halve the remembered window again at each load). */
  defaultContextWindow: number;
  contextFloor: number;
  /** The daemon's platform (config.json `platform`). iogpu.wired_limit_mb is macOS's alone: on
   *  linux it is never recommended, only the context shrink. Absent: darwin, the seed's platform. */
  platform?: 'darwin' | 'linux';
}

export function preflight(i: PreflightInputs): PreflightResult {
  // A partial download must not look smaller than the model (seed: max of the two).
  const modelBytes = Math.max(i.cachedBytes, i.catalogBytes);
  const gpuBudgetBytes = i.wiredLimitMb > 0 ? i.wiredLimitMb * MIB : Math.floor((i.totalBytes * 3) / 4);
  const headroomBytes = gpuBudgetBytes - modelBytes;
  // Unknown RAM or unknown model size: nothing to decide on, so never call it tight.
  const tight = i.totalBytes > 0 && modelBytes > 0 && headroomBytes < TIGHT_HEADROOM_BYTES;
  const recommend: PreflightResult['recommend'] = {};
  if (tight) {
    const halved = Math.max(i.contextFloor, Math.floor(i.defaultContextWindow / 2));
    if (halved < i.contextWindow) recommend.contextWindow = halved;
    const target = Math.floor(i.totalBytes / MIB) - OS_RESERVE_MB;
    if (i.platform !== 'linux' && target > 0 && i.wiredLimitMb < target) recommend.wiredLimitMb = target;
  }
  return { modelBytes, gpuBudgetBytes, headroomBytes, tight, recommend };
}
