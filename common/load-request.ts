// What a client (cclocal, `cclocald load`) asks the daemon to load, from its flags and its own
// environment: the daemon started at login never sees the shell where a person set
// CCLOCAL_ENGINE or fixed CCLOCAL_ENGINE_BIN, so the client says them. Pure.
import { isAbsolute, resolve } from 'node:path';
import { ENGINE_KIND_NAMES, type EngineKindName, type LoadParams } from '../daemon/protocol/protocol.js';

export class EngineChoiceError extends Error {}

export function parseEngineName(name: string): EngineKindName {
  const kind = ENGINE_KIND_NAMES.find((k) => k === name);
  if (!kind) throw new EngineChoiceError(`unknown engine "${name.slice(0, 100)}" (known: ${ENGINE_KIND_NAMES.join(', ')})`);
  return kind;
}

/** A .gguf path is made absolute against the client's folder: the daemon runs elsewhere. */
export function modelReference(model: string, cwd: string): string {
  return model.toLowerCase().endsWith('.gguf') && !isAbsolute(model) ? resolve(cwd, model) : model;
}

export function loadRequest(i: { model: string; contextWindow?: number; engineFlag?: string; env: NodeJS.ProcessEnv; cwd: string }): LoadParams {
  const named = i.engineFlag ?? (i.env.CCLOCAL_ENGINE || undefined);
  const bin = i.env.CCLOCAL_ENGINE_BIN;
  return {
    model: modelReference(i.model, i.cwd),
    ...(i.contextWindow !== undefined ? { contextWindow: i.contextWindow } : {}),
    ...(named ? { engine: parseEngineName(named) } : {}),
    ...(bin ? { engineBin: isAbsolute(bin) ? bin : resolve(i.cwd, bin) } : {}),
  };
}
