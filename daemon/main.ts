// cclocald's commands: parse, call one function, set the exit code. No logic here.
import { Command, InvalidArgumentError, Option } from 'commander';
import { logsCommand } from './cli/logs-cmd.js';
import { restartCommand, startCommand, stopCommand, stopViaSocket } from './cli/lifecycle-cmd.js';
import { installCommand, uninstallCommand } from './cli/service-cmd.js';
import { loadCommand, unloadCommand } from './cli/model-cmd.js';
import { statusCommand } from './cli/status-cmd.js';
import { runDaemon } from './run.js';
import { versionCommand } from './version.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const program = new Command('cclocald')
  .description('the cclocal daemon: keeps a local model warm in vllm-mlx and supervises it')
  // Not commander's .version(): that prints one string at once, this asks Claude Code and the engine.
  .option('-V, --version', 'print the version, and the Claude Code and engine this machine has (no daemon needed)')
  .showHelpAfterError();

const exitWith = (p: Promise<number>) => p.then((code) => { process.exitCode = code; });

program.command('run').description('run the daemon in the foreground (what launchd or systemd start)')
  .action(() => exitWith(runDaemon()));
program.command('status').description('health at a glance; exit 1 when the daemon does not answer')
  .option('--json', 'print the status result as JSON')
  .action((o: { json?: boolean }) => exitWith(statusCommand(o)));
program.command('start').description('start the daemon in the background')
  .action(() => exitWith(startCommand()));
program.command('stop').description('stop the daemon and its engine')
  .action(() => exitWith(stopCommand()));
program.command('restart').description('stop, then start the daemon')
  .action(() => exitWith(restartCommand()));
program.command('load').description('load or swap the model (a catalog name such as gemma-light, a full model id, or for llama-server a .gguf file; for remote, an upstream model id, or none for the configured one)')
  .argument('[model]')
  .option('--ctx <tokens>', 'context window (prompt tokens) for this model', positiveInt)
  .option('--engine <name>', 'the engine to run it on: vllm-mlx, llama-server or remote (default: CCLOCAL_ENGINE, else the one running)')
  .action((model: string | undefined, o: { ctx?: number; engine?: string }) => exitWith(loadCommand(model ?? '', o)));
program.command('unload').description('stop the engine and free its memory')
  .action(() => exitWith(unloadCommand()));
const platformOption = () => new Option('--platform <platform>', 'the service kind: darwin (launchd) or linux (systemd)').choices(['darwin', 'linux']);
program.command('install').description('install the login service (LaunchAgent on macOS, systemd user unit on Linux) and start it')
  .option('--dry-run', 'print the file and the commands, write and run nothing')
  .addOption(platformOption())
  .action((o: { dryRun?: boolean; platform?: 'darwin' | 'linux' }) => exitWith(installCommand(o, stopViaSocket)));
program.command('uninstall').description('stop the daemon and remove the login service')
  .option('--dry-run', 'print what would be removed and run, and do nothing')
  .addOption(platformOption())
  .action((o: { dryRun?: boolean; platform?: 'darwin' | 'linux' }) => exitWith(uninstallCommand(o, stopViaSocket)));
program.command('logs').description("print the daemon's log, or the engine's; readable lines on a terminal, JSON lines when piped")
  .option('-f, --follow', 'keep printing as the log grows')
  .option('--engine', "the engine's log (logs/engine.log, plain text) instead of the daemon's")
  .option('--json', "the daemon's log as its JSON lines, even on a terminal")
  .action((o: { follow?: boolean; engine?: boolean; json?: boolean }) => exitWith(logsCommand(o)));

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) await exitWith(versionCommand());
else await program.parseAsync(process.argv);
