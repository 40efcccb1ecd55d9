// The seed launcher's model table, shared by daemon (argv, preflight) and client (flags, menu).
// Parsers follow the seed's newest run.sh; the sizes are its MODEL_SIZES estimates.

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
}

export const CATALOG: readonly CatalogEntry[] = Object.freeze([
  { name: 'gemma-light', id: 'mlx-community/gemma-4-e4b-it-4bit', display: 'Gemma-4-E4B', sizeGB: 5, notes: 'Default, clean tool calling — 16GB+ RAM', toolParser: 'gemma4', reasoningParser: 'gemma4' },
  { name: 'gemma', id: 'mlx-community/gemma-4-26b-a4b-it-4bit', display: 'Gemma-4-26B-A4B MoE', sizeGB: 16, notes: 'Google MoE, 3.8B active — 24GB+ RAM', toolParser: 'gemma4', reasoningParser: 'gemma4' },
  { name: 'review', id: 'mlx-community/GLM-4.7-Flash-4bit', display: 'GLM-4.7-Flash', sizeGB: 17, notes: 'Stronger reasoning — 24GB+ RAM', toolParser: 'glm47' },
  { name: 'coder', id: 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit', display: 'Qwen3-Coder-30B-A3B', sizeGB: 18, notes: 'Heavier code model — 24GB+ RAM', toolParser: 'qwen3_xml' },
  { name: 'qwen3', id: 'mlx-community/Qwen3.5-9B-MLX-4bit', display: 'Qwen3.5-9B', sizeGB: 5, notes: 'General reasoning — verbose thinking leak', toolParser: 'qwen3_xml', reasoningParser: 'qwen3' },
  { name: 'coder7b', id: 'mlx-community/Qwen2.5-Coder-7B-Instruct-4bit', display: 'Qwen2.5-Coder-7B', sizeGB: 5, notes: 'Code analysis — tool calls unreliable', toolParser: 'qwen' },
]);

export const DEFAULT_MODEL = 'gemma-light';
/** The seed's back-compat alias (v2.0.1 pointed --light at Qwen3.5-9B). */
export const ALIASES: Readonly<Record<string, string>> = Object.freeze({ light: 'gemma-light' });

/** A full Hugging Face id: "org/name", each part from HF's allowed characters. */
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ResolvedModel {
  id: string;
  /** Catalog entry when the model is in the catalog; custom ids get the seed's defaults. */
  entry?: CatalogEntry;
  toolParser: string;
  reasoningParser?: string;
}

/** A catalog name, alias or full id → the model to serve; undefined when it is neither. */
export function resolveModel(nameOrId: string): ResolvedModel | undefined {
  const name = ALIASES[nameOrId] ?? nameOrId;
  const entry = CATALOG.find((e) => e.name === name || e.id === name);
  if (entry) return { id: entry.id, entry, toolParser: entry.toolParser, reasoningParser: entry.reasoningParser };
  // The seed gives custom --model ids the "auto" tool parser and no reasoning parser.
  if (HF_ID.test(nameOrId)) return { id: nameOrId, toolParser: 'auto' };
  return undefined;
}

/** The Hugging Face cache folder name for a repo id: models--org--name. */
export function cacheFolderName(id: string): string {
  return `models--${id.replaceAll('/', '--')}`;
}
