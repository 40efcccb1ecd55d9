// The seed launcher's model table, shared by daemon (argv, preflight) and client (flags, menu).
// Parsers follow the seed's newest run.sh; the sizes are its MODEL_SIZES estimates. Each name
// resolves per engine kind: vllm-mlx serves the MLX repo, llama-server a published GGUF repo.
import type { EngineKindName } from '../daemon/protocol/protocol.js';

export interface CatalogEntry {
  /** Catalog name, also the client's flag without "--". */
  name: string;
  /** Hugging Face repo id, exactly what vllm-mlx serves and what requests must name. */
  id: string;
  display: string;
  /** On-disk estimate used by the preflight before the model is cached. */
  sizeGB: number;
  notes: string;
  toolParser: string;
  reasoningParser?: string;
  /** The published GGUF repo and quant llama-server downloads with -hf (none was downloaded while
   *  writing this table: the names are from the publishers' pages). */
  gguf?: string;
}

export const CATALOG: readonly CatalogEntry[] = Object.freeze([
  { name: 'gemma-light', id: 'mlx-community/gemma-4-e4b-it-4bit', display: 'Gemma-4-E4B', sizeGB: 5, notes: 'Default, clean tool calling — 16GB+ RAM', toolParser: 'gemma4', reasoningParser: 'gemma4', gguf: 'ggml-org/gemma-4-E4B-it-GGUF:Q4_K_M' },
  { name: 'gemma', id: 'mlx-community/gemma-4-26b-a4b-it-4bit', display: 'Gemma-4-26B-A4B MoE', sizeGB: 16, notes: 'Google MoE, 3.8B active — 24GB+ RAM', toolParser: 'gemma4', reasoningParser: 'gemma4', gguf: 'unsloth/gemma-4-26B-A4B-it-GGUF:Q4_K_M' },
  { name: 'review', id: 'mlx-community/GLM-4.7-Flash-4bit', display: 'GLM-4.7-Flash', sizeGB: 17, notes: 'Stronger reasoning — 24GB+ RAM', toolParser: 'glm47', gguf: 'ggml-org/GLM-4.7-Flash-GGUF:Q4_K_M' },
  { name: 'coder', id: 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit', display: 'Qwen3-Coder-30B-A3B', sizeGB: 18, notes: 'Heavier code model — 24GB+ RAM', toolParser: 'qwen3_xml', gguf: 'unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF:Q4_K_M' },
  { name: 'qwen3', id: 'mlx-community/Qwen3.5-9B-MLX-4bit', display: 'Qwen3.5-9B', sizeGB: 5, notes: 'General reasoning — verbose thinking leak', toolParser: 'qwen3_xml', reasoningParser: 'qwen3', gguf: 'unsloth/Qwen3.5-9B-GGUF:Q4_K_M' },
  { name: 'coder7b', id: 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit', display: 'Qwen2.5-Coder-7B', sizeGB: 5, notes: 'Code analysis — tool calls unreliable', toolParser: 'qwen', gguf: 'Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M' },
]);

export const DEFAULT_MODEL = 'gemma-light';
/** The seed's back-compat alias (v2.0.1 pointed --light at Qwen3.5-9B). */
export const ALIASES: Readonly<Record<string, string>> = Object.freeze({ light: 'gemma-light' });

/** A full Hugging Face id: "org/name", each part from HF's allowed characters. */
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A GGUF repo as llama-server's -hf takes it: org/name with an optional :QUANT tag. */
const HF_GGUF_REF = /^([A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*)(?::([A-Za-z0-9._-]+))?$/;

export interface ResolvedModel {
  /** What the engine serves and requests name: an HF repo id (with :QUANT for a GGUF repo), or
   *  the absolute path of a local .gguf file. */
  id: string;
  /** Catalog entry when the model is in the catalog; custom ids get the seed's defaults. */
  entry?: CatalogEntry;
  toolParser: string;
  reasoningParser?: string;
  /** Where the weights come from: a Hugging Face repo (downloaded into its cache), or a file. */
  source: { repo: string; quant?: string } | { file: string };
}

/** A local model file as llama-server takes it: an absolute path ending in .gguf. */
export function isGgufPath(ref: string): boolean {
  return ref.startsWith('/') && ref.toLowerCase().endsWith('.gguf') && !ref.includes('\0');
}

/** Whether a --model value could name a model for some engine (the daemon decides per kind). */
export function looksLikeModelRef(ref: string): boolean {
  return HF_ID.test(ref) || HF_GGUF_REF.test(ref) || isGgufPath(ref);
}

/** A catalog name, alias or model reference → what `kind` serves; undefined when it is none. */
export function resolveModel(nameOrId: string, kind: EngineKindName = 'vllm-mlx'): ResolvedModel | undefined {
  const name = ALIASES[nameOrId] ?? nameOrId;
  const entry = CATALOG.find((e) => e.name === name || e.id === name || e.gguf === name);
  const parsers = (e: CatalogEntry) => ({ toolParser: e.toolParser, ...(e.reasoningParser ? { reasoningParser: e.reasoningParser } : {}) });
  if (kind === 'llama-server') {
    if (entry?.gguf) return { id: entry.gguf, entry, ...parsers(entry), source: ggufSource(entry.gguf)! };
    if (entry) return undefined; // in the catalog, but published only for MLX
    if (isGgufPath(nameOrId)) return { id: nameOrId, toolParser: 'auto', source: { file: nameOrId } };
    // A relative file name is a path the client should have made absolute, not a repo.
    if (nameOrId.toLowerCase().endsWith('.gguf')) return undefined;
    const source = ggufSource(nameOrId);
    return source ? { id: nameOrId, toolParser: 'auto', source } : undefined;
  }
  if (entry) return { id: entry.id, entry, ...parsers(entry), source: { repo: entry.id } };
  // The seed gives custom --model ids the "auto" tool parser and no reasoning parser.
  if (HF_ID.test(nameOrId)) return { id: nameOrId, toolParser: 'auto', source: { repo: nameOrId } };
  return undefined;
}

function ggufSource(ref: string): { repo: string; quant?: string } | undefined {
  const m = HF_GGUF_REF.exec(ref);
  if (!m) return undefined;
  return m[2] ? { repo: m[1]!, quant: m[2] } : { repo: m[1]! };
}

/** The Hugging Face cache folder name for a repo id: models--org--name. */
export function cacheFolderName(id: string): string {
  return `models--${id.replaceAll('/', '--')}`;
}
