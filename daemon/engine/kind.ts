// The engine seam: everything the supervisor, the recovery of a leftover engine and the memory
// poll need to know about one kind of engine, so none of them holds an engine's flags, paths or
// log words. Each kind is one sibling file (vllm-mlx.ts, llama-server.ts) exporting an EngineKind.
import type { ResolvedModel } from '../../common/catalog.js';
import type { CrashReason, LocalKindName } from '../protocol/protocol.js';

export interface EngineLookupContext {
  /** CCLOCAL_ENGINE_BIN (the daemon's or the client's) when it names this kind's executable. */
  envBin?: string;
  /** The package root: where ./install.sh puts what it installs. */
  installRoot: string;
  /** Where builds are cached outside the clone (~/.cache/cclocal). */
  buildCache: string;
  pathVar: string;
  platform: 'darwin' | 'linux';
}

export type EngineLookup =
  | { found: true; bin: string; source: 'env' | 'install' | 'path' }
  | { found: false; searched: string[]; hint: string };

/** What the installed engine accepts, read once per executable from its --help. */
export interface EngineCapabilities {
  /** Every `--flag` the help text names. */
  flags: ReadonlySet<string>;
  /** vllm-mlx's --tool-call-parser choices; null when the help lists none. */
  toolParsers: ReadonlySet<string> | null;
  /** The help ran and is some other program's: the executable is not this kind of engine. */
  foreign: boolean;
}

export interface LaunchInput {
  model: ResolvedModel;
  port: number;
  /** The prompt-token budget the endpoint enforces. */
  contextWindow: number;
  caps: EngineCapabilities;
  /** The weights are already downloaded. */
  cached?: boolean;
  /** Where a key for the engine's port would be kept, when the engine takes one. */
  keyFile: string;
}

export interface Launch {
  argv: string[];
  /** Variables the engine adds to its env. */
  env: Record<string, string>;
  /** The argv makes the engine read a key from `keyFile`: every request but /health needs it. */
  keyed: boolean;
}

export interface EngineMemory { activeGB: number; peakGB: number; cacheGB: number }

/** Where a model's download lands, so a start can show its progress by the folder's size. */
export interface DownloadPlace {
  /** The folder that grows while the weights download; null when nothing is downloaded. */
  dir: string | null;
  /** Already there: the start begins in "loading". */
  cached: boolean;
  /** Whether a file is being written in `dir` right now (a download in progress). */
  isWriting(dir: string): boolean;
}

/** What the daemon wrote in engine.json for the engine it started. */
export interface LeftoverRecord { model: string; port: number; bin: string }

export interface EngineKind {
  readonly name: LocalKindName;
  /** Finds the executable: CCLOCAL_ENGINE_BIN, then what ./install.sh installed, then PATH. */
  find(ctx: EngineLookupContext): EngineLookup;
  /** The arguments that print the help from which capabilities are read. */
  readonly helpArgs: readonly string[];
  capabilitiesFromHelp(help: string): EngineCapabilities;
  /** A catalog name or model reference → what this kind serves; undefined when it cannot. */
  resolveModel(nameOrId: string): ResolvedModel | undefined;
  /** Why `resolveModel` said no, in words a person can act on. */
  unknownModelHint(nameOrId: string): string;
  /** The argv for a model on a loopback port, and the variables the engine adds to its env. */
  launch(i: LaunchInput): Launch;
  /** The daemon's environment as this engine should inherit it (keys and overrides removed). */
  engineEnv(base: Readonly<Record<string, string>>): Record<string, string>;
  /** The engine sizes its memory by the window when it starts (llama-server's -c): a new window
   *  for the running model means a restart. */
  readonly windowAtStart: boolean;
  /** Its streamed message_start carries the prompt's `usage.input_tokens` (llama-server's does;
   *  vllm-mlx's is 0, so the endpoint counts beside the prefill). */
  readonly streamsPromptTokens: boolean;
  /** The health check: the path, and what an answer must be for "ready". */
  readonly healthPath: string;
  isReady(status: number, body: unknown): boolean;
  /** The out-of-memory reason the end of its log shows, or null. */
  outOfMemory(logTail: string): CrashReason | null;
  /** The engine's memory as it reports it while ready; null when it reports none. */
  readMemory(baseUrl: string): Promise<EngineMemory | null>;
  /** Whether a live process's command line is the engine this record describes (never a
   *  recycled pid that now belongs to somebody else). */
  isOwnLeftover(commandLine: string, rec: LeftoverRecord): boolean;
  /** Where the model's weights download to, given the daemon's environment. */
  downloads(model: ResolvedModel, env: Readonly<Record<string, string>>, hfHubCache: string): DownloadPlace;
  /** Once ready: the prompt-token budget the running engine can hold, when it reports one that is
   *  smaller than asked (the endpoint then enforces that); null when it holds what was asked. */
  checkWindow(baseUrl: string, contextWindow: number, auth: Record<string, string>): Promise<number | null>;
  /** The engine's own "prompt too long" answer → its numbers, so the client hears Anthropic's
   *  `prompt is too long: N tokens > M maximum`; null for every other answer. */
  overflow(status: number, body: string): { tokens: number; max: number } | null;
}
