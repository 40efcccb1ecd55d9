// The seed's memory safeguard: when the GPU headroom is tight (or --safe), shrink the context
// window and/or raise the GPU wired limit; non-interactive runs apply the recommended shrink.
// The wired limit (iogpu.wired_limit_mb) is macOS's: it is offered only when the daemon recommends
// it (never on linux) and this machine has the setting, and it is not mentioned at all where the
// setting does not exist: there the menu is shrink, continue, quit.
import type { DaemonClient } from '../daemon/protocol/connect.js';
import type { EngineKindName, PreflightResult } from '../daemon/protocol/protocol.js';
import { currentWiredLimit, raiseWiredLimit } from './wired-limit.js';

const GiB = 1024 ** 3;
const gb = (n: number) => `~${Math.round(n / GiB)}GB`;

export interface PreflightChoice { contextWindow?: number; quit?: boolean }

export function describe(r: PreflightResult): string {
  return `⚠ Tight memory  ${gb(r.modelBytes)} model, GPU budget ${gb(r.gpuBudgetBytes)} → ${gb(Math.max(0, r.headroomBytes))} for KV cache.`;
}

export async function preflightDecision(client: DaemonClient, model: string, o: { engine?: EngineKindName; safe: boolean; interactive: boolean; homeDir: string; say(s: string): void }): Promise<PreflightChoice> {
  const r = await client.request('preflight', { model, ...(o.engine ? { engine: o.engine } : {}) });
  if (!r.tight && !o.safe) return {};
  // Half the model's default; none when its window is already that or smaller (the daemon decides).
  const shrinkTo = r.recommend.contextWindow;
  o.say(`\n  ${describe(r)}\n  Large agentic contexts have OOM-crashed ${o.engine ?? 'the engine'} in this range.`);
  if (!o.interactive) {
    o.say(shrinkTo ? '  Non-interactive — applying recommended (shrink context).' : r.tight ? '  Non-interactive — the context window is already shrunk; keeping it.' : '  Non-interactive — memory is not tight; nothing to change.');
    return { contextWindow: shrinkTo };
  }
  const hasWiredLimit = currentWiredLimit() !== null;
  const wiredMb = hasWiredLimit ? r.recommend.wiredLimitMb : undefined;
  const choices = [
    { name: shrinkTo ? `1) Shrink context   to ${shrinkTo} tokens (recommended)` : `1) Shrink context   (${r.tight ? 'already shrunk' : 'not needed: memory is not tight'})`, value: '1' },
    ...(!hasWiredLimit ? [] : wiredMb ? [
      { name: `2) Raise GPU limit  iogpu.wired_limit_mb → ${wiredMb} (sudo, until the model is unloaded or reboot)`, value: '2' },
      { name: '3) Both', value: '3' },
    ] : [
      { name: '2) GPU limit already fine', value: '2', disabled: true },
      { name: '3) Both', value: '3', disabled: true },
    ]),
    { name: 'c) Continue as-is (risky)', value: 'c' },
    { name: 'q) Quit', value: 'q' },
  ];
  const { select } = await import('@inquirer/prompts'); // see menu.ts
  const pick = await select<string>({ message: 'Safeguards', choices, default: '1' });
  if (pick === 'q') { o.say('  Aborted.'); return { quit: true }; }
  if (pick === 'c') { o.say('  Continuing with current settings.'); return {}; }
  if ((pick === '2' || pick === '3') && wiredMb) await raiseWiredLimit(wiredMb, o.homeDir, o.say);
  return pick === '1' || pick === '3' ? { contextWindow: shrinkTo } : {};
}
