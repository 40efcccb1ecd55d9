// cclocal: attach Claude Code to the model cclocald serves. Flags are the seed launcher's.
import { Command, InvalidArgumentError, Option } from 'commander';
import { CATALOG, DEFAULT_MODEL, looksLikeModelRef, resolveModel } from '../common/catalog.js';
import { EngineChoiceError, loadRequest, modelReference, parseEngineName } from '../common/load-request.js';
import { DEFAULT_OUT_TOKENS } from '../common/attach-env.js';
import { shrunkWindowNote } from '../common/window-note.js';
import { connectDaemon, DaemonUnavailableError, type DaemonClient } from '../daemon/protocol/connect.js';
import type { LoadResult, StatusResult } from '../daemon/protocol/protocol.js';
import { upstreamLines } from '../common/upstream-lines.js';
import { homeDir, homePaths } from '../daemon/protocol/paths.js';
import { packageVersion, daemonVersionLines } from '../common/version.js';
import { connectCommand, exitLikeClaude, findClaude, isClaudeOption, planFor, runClaude, warmNoteNow, withClaudeArgsAfterDashes } from './attach.js';
import { manageCache, printList } from './cache-screens.js';
import { ClientError, ensureDaemon } from './ensure-daemon.js';
import { hubCacheDir } from './hf-cache.js';
import { loadModel } from './load.js';
import { chooseModel } from './menu.js';
import { modelFromFlags } from './model-flag.js';
import { preflightDecision } from './preflight-menu.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface Opts { model?: string; engine?: string; list?: boolean; rm?: boolean; server?: boolean; outTokens: number; safe?: boolean; memCheck: boolean; version?: boolean }

function program(): Command {
  const p = new Command('cclocal')
    .usage('[options] [-- claude arguments]')
    .description('Run Claude Code on a local model served by cclocald. With no model flag on a terminal, opens the menu.')
    .showHelpAfterError("Run 'cclocal --help' for usage.");
  for (const e of CATALOG) p.addOption(new Option(`--${e.name}`, `${e.display} (~${e.sizeGB}GB) — ${e.notes}${e.name === DEFAULT_MODEL ? ' (default)' : ''}`));
  p.addOption(new Option('--light', 'alias of --gemma-light'));
  p.option('--model <id>', 'any model: an MLX id (org/name); for llama-server a GGUF repo (org/name[:QUANT]) or a .gguf file')
    .option('--engine <name>', 'the engine: vllm-mlx, llama-server, or remote (the servers config.json names) (default: CCLOCAL_ENGINE, else the one the daemon runs)')
    .option('-l, --list', 'list cached models on disk')
    .option('--rm', 'manage or delete cached models (interactive)')
    .option('--server', 'make sure the model is loaded, print the connect command, and return')
    .option('--out-tokens <n>', 'max output tokens Claude Code requests', positiveInt, DEFAULT_OUT_TOKENS)
    .option('--safe', 'always show the memory-safeguard menu')
    .option('--no-mem-check', 'skip the GPU-headroom preflight')
    .option('-V, --version', 'print the version, and the Claude Code and engine this machine has');
  return p;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const ours = split === -1 ? argv : argv.slice(0, split);
  const claudeArgs = split === -1 ? [] : argv.slice(split + 1);
  const cmd = program();
  // commander's error text is held back: an argument meant for claude gets a message of ours.
  let parseError = '';
  cmd.exitOverride().configureOutput({ writeErr: (s) => { parseError += s; } });
  try { cmd.parse(ours, { from: 'user' }); } catch (err) {
    const misplaced = claudeArgument(cmd, err as { code?: string; message?: string });
    if (misplaced) {
      const ourOption = (name: string) => {
        const o = cmd.options.find((x) => x.short === name || x.long === name);
        return o ? { takesValue: o.required || o.optional } : null;
      };
      say(`cclocal: ${misplaced}\n  hint: arguments for claude go after --: ${withClaudeArgsAfterDashes(ours, claudeArgs, ourOption)}`);
      return 1;
    }
    process.stderr.write(parseError);
    return (err as { exitCode?: number }).exitCode ?? 1;
  }
  const opts = cmd.opts<Opts>();
  if (opts.version) return printVersions();
  const env = process.env;
  const hub = hubCacheDir(env);
  const paths = homePaths(homeDir(env));
  if (opts.list) { printList(hub); return 0; }
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;

  let askedEngine: ReturnType<typeof parseEngineName> | undefined;
  try {
    const named = opts.engine ?? (env.CCLOCAL_ENGINE || undefined);
    askedEngine = named ? parseEngineName(named) : undefined;
  } catch (err) {
    if (err instanceof EngineChoiceError) throw new ClientError(err.message, 'use --engine vllm-mlx, --engine llama-server or --engine remote');
    throw err;
  }
  let wanted = modelFromFlags(ours);
  if (wanted) wanted = modelReference(wanted, process.cwd());
  // A remote upstream's model ids are its own (a served-model-name need not look like org/name).
  if (wanted && askedEngine !== 'remote' && !resolveModel(wanted) && !looksLikeModelRef(wanted)) throw new ClientError(`unknown model "${wanted}"`, `use one of --${CATALOG.map((e) => e.name).join(', --')}, --model org/name, or for llama-server --model FILE.gguf`);
  const claudeBin = opts.server || opts.rm ? null : findClaude(env);

  if (opts.rm) {
    if (!interactive) throw new ClientError('--rm needs a terminal', 'run it in an interactive shell, or delete folders under ' + hub);
    // Only to protect the model being served: a daemon that is not running serves none.
    await manageCache(hub, await servedModel(paths.socket));
    return 0;
  }

  const { client, status } = await ensureDaemon(paths, say);
  try {
    const kind = askedEngine ?? status.engine.kind;
    if (kind === 'remote') return await attachRemote(client, status, { wanted, opts, claudeBin, claudeArgs, env, socket: paths.socket });
    if (!wanted && interactive && argv.length === 0) {
      const pick = await chooseModel(client, status, hub, askedEngine);
      if (!pick) { say('Bye.'); return 0; }
      wanted = pick;
    }
    // No flag and no terminal: the model that is loaded, else the default; on the engine asked
    // for, else the one the daemon runs.
    const ref = wanted ?? (kind === status.engine.kind ? status.engine.model : null) ?? DEFAULT_MODEL;
    const id = resolveModel(ref, kind)?.id ?? ref;
    const warm = status.engine.kind === kind && status.engine.model === id && status.engine.state === 'ready';
    let contextWindow: number | undefined;
    // --safe asks even for a warm model: a shrink then applies to the running engine at once.
    if ((!warm || opts.safe) && opts.memCheck) {
      const choice = await preflightDecision(client, id, { engine: kind, safe: !!opts.safe, interactive, homeDir: paths.home, say });
      if (choice.quit) return 0;
      contextWindow = choice.contextWindow;
    }
    if (!warm) say(`Loading ${id} on ${kind}...`);
    const loaded = await loadModel(client, loadRequest({ model: ref, contextWindow, engineFlag: kind, env, cwd: process.cwd() }), process.stderr.isTTY === true);
    return await attach(client, loaded, { opts, claudeBin, claudeArgs, env, socket: paths.socket });
  } finally {
    client.close();
  }
}

interface AttachInput { opts: Opts; claudeBin: string | null; claudeArgs: string[]; env: NodeJS.ProcessEnv; socket: string }

/** The model is loaded: print the connect command (--server), or run Claude Code on it. */
async function attach(client: DaemonClient, loaded: LoadResult, a: AttachInput): Promise<number> {
  const now = await client.request('status');
  const shrunk = shrunkWindowNote(now.engine);
  if (shrunk) say(`⚠ ${shrunk}`);
  const plan = planFor(now.endpoint.url, loaded.model, loaded.contextWindow, a.opts.outTokens);
  if (a.opts.server) {
    process.stdout.write(`\nServer running at ${now.endpoint.url}  (${loaded.model}, context ${loaded.contextWindow} tokens)\nConnect Claude Code from any terminal with:\n\n${connectCommand(plan)}\n\ncclocald keeps serving; stop it with \`cclocald unload\` or \`cclocald stop\`.\n`);
    return 0;
  }
  client.close();
  const exit = await runClaude(a.claudeBin!, plan, a.claudeArgs, a.env);
  // After a session a person ran at a terminal: the model stays loaded, what it holds, how to free
  // it. On stderr, and never after a script's run (no terminal on stdin), whose output stays as
  // claude left it. A remote engine holds nothing here.
  if (process.stdin.isTTY === true && loaded.kind !== 'remote') {
    const note = await warmNoteNow(a.socket);
    if (note) say(note);
  }
  return exitLikeClaude(exit);
}

/** What commander refused, when it looks meant for claude: one of Claude Code's options, an
 *  option commander has no near cclocal option for, or a prompt. Null: commander's own message. */
function claudeArgument(cmd: Command, err: { code?: string; message?: string }): string | null {
  const message = err.message ?? '';
  if (err.code === 'commander.unknownOption') {
    const flag = /unknown option '([^']+)'/.exec(message)?.[1];
    // Only one of claude's own: any other unknown flag is a cclocal typo (commander says so, with --help).
    if (!flag || !isClaudeOption(flag)) return null;
    return `unknown option '${flag}'`;
  }
  if (err.code === 'commander.excessArguments') {
    const first = cmd.args.find((a) => !a.startsWith('-'));
    return first === undefined ? null : `unexpected argument '${first}' (cclocal takes no prompt of its own)`;
  }
  return null;
}

/** `cclocal --version`: this version, then what `cclocald --version` finds (Claude Code, the
 *  engine, the daemon running), which needs no daemon. */
async function printVersions(): Promise<number> {
  const version = packageVersion();
  const r = await daemonVersionLines(process.env);
  const lines = 'lines' in r ? r.lines.filter((l, i) => !(i === 0 && l === `cclocald ${version}`)) : [`cclocald --version: ${r.problem}`];
  process.stdout.write(`cclocal ${version}\n${lines.join('\n')}\n`);
  return 0;
}

/** A remote engine: nothing to download or load and no memory to check; the upstreams are shown
 *  as cclocald sees them, and Claude Code attaches as soon as one serves. */
async function attachRemote(client: DaemonClient, status: StatusResult, a: AttachInput & { wanted: string | undefined }): Promise<number> {
  const e = status.engine;
  const warm = e.kind === 'remote' && e.state === 'ready' && (!a.wanted || e.model === a.wanted);
  if (!warm) say(`Connecting to the remote upstreams${a.wanted ? ` for ${a.wanted}` : ''}...`);
  let loaded: LoadResult;
  try {
    loaded = warm ? { model: e.model!, contextWindow: e.contextWindow, url: e.url ?? '', kind: 'remote' } : await client.request('load', loadRequest({ model: a.wanted ?? '', engineFlag: 'remote', env: a.env, cwd: process.cwd() }));
  } finally {
    const ups = (await client.request('status').catch(() => status)).engine.upstreams ?? [];
    if (process.stderr.isTTY || !warm) say(upstreamLines(ups, '  ').join('\n'));
  }
  say(`remote: ${loaded.model}, context ${loaded.contextWindow} tokens`);
  return attach(client, loaded, a);
}

async function servedModel(socket: string): Promise<string | null> {
  try {
    const c = await connectDaemon(socket);
    try { return (await c.request('status')).engine.model; } finally { c.close(); }
  } catch (err) {
    if (err instanceof DaemonUnavailableError) return null;
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof ClientError) {
      process.stderr.write(`cclocal: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
      process.exitCode = err.exitCode;
      return;
    }
    if (err && typeof err === 'object' && (err as { name?: string }).name === 'ExitPromptError') { process.exitCode = 130; return; }
    process.stderr.write(`cclocal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
