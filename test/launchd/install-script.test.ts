// ./install.sh itself (issue #13, item 1), run for real in a temporary HOME (with a space in it)
// whose PATH has no claude: it installs Claude Code with npm into a prefix the user owns, says
// "Setup complete" only once the claude that cclocal would run answers --version, and
// `--uninstall` takes back exactly what it added, the login service included.
//
// Nothing here uses the network or the machine's npm prefix: Claude Code is a tiny stand-in
// package (`npm pack` of a folder made here, named @anthropic-ai/claude-code, whose claude prints
// "2.1.332 (Claude Code)" for --version), given to install.sh as CCLOCAL_CLAUDE_PACKAGE; npm's
// cache is in the temporary folder. The slow steps are skipped through install.sh's own knobs:
// CCLOCAL_SKIP_BUILD=1 (node_modules and dist/ are this checkout's; `npm test` builds first) and
// CCLOCAL_LLAMA_SERVER=skip (no llama-server build).
//
// "npm's global prefix is not writable": the tests run as root, who may write into a chmod 555
// folder, so the prefix is put under a regular file instead (npm_config_prefix=<file>/prefix).
// No one can create a folder there, root included: `npm link` fails with ENOTDIR, exactly where a
// user without write access gets EACCES, and install.sh's own check says "not writable".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { socketAnswers } from '../../common/wait-for.js';
import { readPidFile } from '../../common/spawn-daemon.js';
import { FIXTURE_BIN, isAlive, liveEngines, makeHome, recorded, ROOT, runProgram, type TestHome } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const INSTALL_SH = join(ROOT, 'install.sh');
const CLAUDE_VERSION = '2.1.332 (Claude Code)';
const RC_LINE = 'export PATH="$HOME/.local/bin:$PATH" # added by cclocal\'s install.sh (./install.sh --uninstall removes this line)';

/** A PATH with the platform stand-ins (systemctl, launchctl), node, npm and the basic tools, and
 *  no claude; null (with the reason) if one of those folders has a claude of its own. */
function pathWithoutClaude(): { path: string } | { skip: string } {
  const npm = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'npm')).find((p) => existsSync(p));
  const dirs = [...new Set([FIXTURE_BIN, dirname(process.execPath), ...(npm ? [dirname(npm)] : []), '/usr/bin', '/bin'])];
  const claude = dirs.map((d) => join(d, 'claude')).find((p) => existsSync(p));
  if (claude) return { skip: `${claude} exists, so no PATH here is without Claude Code` };
  if (!npm) return { skip: 'npm is not on PATH' };
  return { path: dirs.join(delimiter) };
}

/** Every entry under `dir`, relative, with what it is: a file's content, a link's target. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isSymbolicLink()) out.set(rel, `link -> ${readlinkSync(p)}`);
      else if (e.isDirectory()) { out.set(rel, 'dir'); walk(p); }
      else out.set(rel, `file ${readFileSync(p, 'utf8')}`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}
const listing = (m: Map<string, string>) => [...m].map(([k, v]) => `${k}: ${v}`).sort();

/** A home for install.sh: makeHome's daemon environment, with a user HOME of its own, the fake
 *  Claude Code package, a PATH without claude, and npm pointed away from the machine's prefix. */
function installHome(t: TestContext, npmPrefix: 'unwritable' | 'writable'): { home: TestHome; env: NodeJS.ProcessEnv; user: string; basePath: string; npmPrefixDir: string } | null {
  const p = pathWithoutClaude();
  if ('skip' in p) { t.skip(p.skip); return null; }
  for (const f of ['dist/daemon/main.js', 'dist/client/main.js']) {
    if (!existsSync(join(ROOT, f))) { t.skip(`${f} is missing: npm run build first (npm test does)`); return null; }
  }
  const home = makeHome(t, { config: { platform: 'linux' } }); // the systemd stand-in, on any machine
  const user = join(home.dir, 'user home');
  mkdirSync(user);
  onCleanup(t, () => {
    const pid = readPidFile(home.paths.pid);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const e of liveEngines(home)) process.kill(-e, 'SIGKILL');
  });

  const pkg = join(home.dir, 'fake-claude-code');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@anthropic-ai/claude-code', version: '2.1.332', bin: { claude: 'cli.js' } }));
  writeFileSync(join(pkg, 'cli.js'), `#!/usr/bin/env node\nif (process.argv.includes('--version')) { console.log(${JSON.stringify(CLAUDE_VERSION)}); process.exit(0); }\nconsole.log('fake claude ran');\n`);
  chmodSync(join(pkg, 'cli.js'), 0o755);
  const npmCache = join(home.dir, 'npm-cache');
  const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', home.dir], { cwd: pkg, encoding: 'utf8', env: { ...process.env, npm_config_cache: npmCache } });
  assert.equal(packed.status, 0, packed.stderr);
  const tarball = join(home.dir, packed.stdout.trim().split('\n').at(-1)!);

  let npmPrefixDir: string;
  if (npmPrefix === 'unwritable') {
    writeFileSync(join(home.dir, 'a-file'), '');
    npmPrefixDir = join(home.dir, 'a-file', 'npm-prefix');
  } else {
    npmPrefixDir = join(home.dir, 'npm-global');
  }
  const env: NodeJS.ProcessEnv = {
    ...home.env,
    HOME: user,
    PATH: p.path,
    SHELL: '/bin/bash',
    npm_config_prefix: npmPrefixDir,
    npm_config_cache: npmCache,
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    CCLOCAL_CLAUDE_PACKAGE: tarball,
    CCLOCAL_SKIP_BUILD: '1',
    CCLOCAL_LLAMA_SERVER: 'skip',
  };
  return { home, env, user, basePath: p.path, npmPrefixDir };
}

const install = (env: NodeJS.ProcessEnv, ...args: string[]) => runProgram(INSTALL_SH, args, { env, cwd: dirname(ROOT) });
const systemctlCalls = (home: TestHome) => recorded(home).filter((r) => r.program === 'systemctl').map((r) => (r.argv as string[]).join(' '));

test('npm prefix not writable: Claude Code goes into ~/.local beside cclocal, on PATH through ~/.bashrc; --uninstall takes back exactly that and the login service', async (t) => {
  const s = installHome(t, 'unwritable');
  if (!s) return;
  const { home, env, user, basePath } = s;
  // What the user had before: an rc file of their own and a program in ~/.local/bin.
  writeFileSync(join(user, '.bashrc'), '# my own settings\nalias ll="ls -l"\n');
  mkdirSync(join(user, '.local', 'bin'), { recursive: true });
  writeFileSync(join(user, '.local', 'bin', 'mytool'), '#!/bin/sh\necho mine\n', { mode: 0o755 });
  const before = snapshot(user);

  const r = await install(env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}linked into ~\/\.local\/bin$/m);
  assert.match(r.stdout, /^ {2}Claude Code was not found: npm install -g --no-fund --no-audit --prefix .*user\\ home\/\.local /m);
  assert.match(r.stdout, /^ {2}installed @anthropic-ai\/claude-code into ~\/\.local \(its claude: ~\/\.local\/bin\/claude\)$/m);
  assert.match(r.stdout, /^ {2}.*\/\.local\/bin\/claude --version: 2\.1\.332 \(Claude Code\)$/m);
  assert.match(r.stdout, /^=== Setup complete ===$/m);
  assert.doesNotMatch(r.stdout + r.stderr, /sudo|EACCES|ENOTDIR/);
  assert.equal(existsSync(s.npmPrefixDir), false, 'nothing was written to npm\'s own prefix');

  // Claude Code is in the prefix the user owns, linked where cclocal is.
  const claude = join(user, '.local', 'bin', 'claude');
  assert.ok(lstatSync(claude).isSymbolicLink());
  assert.equal(realpathSync(claude), join(user, '.local', 'lib', 'node_modules', '@anthropic-ai', 'claude-code', 'cli.js'));
  assert.equal(lstatSync(join(user, '.local', 'lib', 'node_modules')).uid, process.getuid!());
  const v = await runProgram(claude, ['--version'], { env });
  assert.equal(v.stdout, `${CLAUDE_VERSION}\n`);

  // On PATH the same way as cclocal: one line in ~/.bashrc, which a new shell picks up.
  assert.equal(readFileSync(join(user, '.bashrc'), 'utf8'), `# my own settings\nalias ll="ls -l"\n${RC_LINE}\n`);
  const shell = await runProgram('/bin/bash', ['-c', '. "$HOME/.bashrc"; command -v cclocal; command -v claude'], { env });
  assert.deepEqual(shell.stdout.trim().split('\n'), [join(user, '.local', 'bin', 'cclocal'), claude]);

  const added = [...snapshot(user).keys()].filter((k) => !before.has(k)).sort();
  assert.deepEqual(added.filter((k) => !k.startsWith('.local/lib/node_modules/@anthropic-ai/claude-code/')), [
    '.local/bin/cclocal', '.local/bin/cclocald', '.local/bin/claude',
    '.local/lib', '.local/lib/node_modules', '.local/lib/node_modules/@anthropic-ai', '.local/lib/node_modules/@anthropic-ai/claude-code',
    '.local/share', '.local/share/cclocal', '.local/share/cclocal/install-manifest',
  ]);

  // cclocal, from where install.sh put it, really starts that Claude Code (no CCLOCAL_CLAUDE_BIN).
  const userPath = { ...env, PATH: `${join(user, '.local', 'bin')}${delimiter}${basePath}` };
  const run = await runProgram(join(user, '.local', 'bin', 'cclocal'), ['--gemma-light', '--', '-p', 'x'], { env: userPath });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /fake claude ran/);
  // ... and the login service takes the daemon over.
  const svc = await runProgram(join(user, '.local', 'bin', 'cclocald'), ['install'], { env: userPath });
  assert.equal(svc.code, 0, svc.stderr);
  const unit = join(user, '.config', 'systemd', 'user', 'cclocald.service');
  assert.ok(existsSync(unit));
  assert.equal(await socketAnswers(home.paths.socket), true);

  // --uninstall, with PATH as it was (cclocald found through this clone, not through PATH).
  const u = await install(env, '--uninstall');
  assert.equal(u.code, 0, u.stdout + u.stderr);
  assert.match(u.stdout, /^ {2}removed .*cclocald\.service$/m);
  assert.match(u.stdout, /^ {2}removed @anthropic-ai\/claude-code from ~\/\.local \(\.\/install\.sh installed it\)$/m);
  assert.match(u.stdout, /^ {2}removed ~\/\.local\/bin\/cclocal$/m);
  assert.match(u.stdout, /^ {2}removed ~\/\.local\/bin\/cclocald$/m);
  assert.match(u.stdout, /^ {2}removed the PATH line from ~\/\.bashrc$/m);
  assert.match(u.stdout, /^=== Uninstall complete ===$/m);
  assert.deepEqual(systemctlCalls(home).slice(-2), ['--user disable --now cclocald.service', '--user daemon-reload']);
  assert.equal(existsSync(unit), false);
  assert.equal(await socketAnswers(home.paths.socket), false, 'the daemon is stopped');
  assert.deepEqual(liveEngines(home), []);

  // HOME is as it was: the user's .bashrc byte for byte, ~/.local/bin and mytool kept. Only the
  // (empty) folders `cclocald install` made for its unit remain; they are cclocald's, as before.
  const after = snapshot(user);
  for (const k of after.keys()) if (k === '.config' || k.startsWith('.config/')) { assert.equal(after.get(k), 'dir', k); after.delete(k); }
  assert.deepEqual(listing(after), listing(before));

  // A second --uninstall finds nothing, and touches nothing.
  const calls = systemctlCalls(home).length;
  const again = await install(env, '--uninstall');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Nothing to remove: no login service is installed, and \.\/install\.sh has added nothing here/m);
  assert.equal(systemctlCalls(home).length, calls);
  const afterAgain = snapshot(user);
  for (const k of afterAgain.keys()) if (k === '.config' || k.startsWith('.config/')) afterAgain.delete(k);
  assert.deepEqual(listing(afterAgain), listing(before));
});

test('npm prefix writable: npm link and plain npm install -g into it; --uninstall leaves the prefix and HOME as they were', async (t) => {
  const s = installHome(t, 'writable');
  if (!s) return;
  const { env, user, npmPrefixDir } = s;
  env.SHELL = '/bin/zsh';
  const before = snapshot(user);

  const r = await install(env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^ {2}linked with npm link \\(${npmPrefixDir}/bin\\)$`, 'm'));
  assert.match(r.stdout, /^ {2}Claude Code was not found: npm install -g --no-fund --no-audit \/\S+\.tgz$/m, 'no --prefix: npm\'s own');
  assert.match(r.stdout, /^=== Setup complete ===$/m);
  assert.equal(realpathSync(join(npmPrefixDir, 'bin', 'claude')), join(npmPrefixDir, 'lib', 'node_modules', '@anthropic-ai', 'claude-code', 'cli.js'));
  assert.equal(realpathSync(join(npmPrefixDir, 'lib', 'node_modules', 'cclocal')), ROOT);
  assert.equal((await runProgram(join(npmPrefixDir, 'bin', 'claude'), ['--version'], { env })).stdout, `${CLAUDE_VERSION}\n`);
  // That bin folder is not on this PATH: zsh's rc file gets the line (and is created for it).
  assert.equal(readFileSync(join(user, '.zshrc'), 'utf8'), `export PATH="${npmPrefixDir}/bin:$PATH" # added by cclocal's install.sh (./install.sh --uninstall removes this line)\n`);

  const u = await install(env, '--uninstall');
  assert.equal(u.code, 0, u.stdout + u.stderr);
  assert.match(u.stdout, /^ {2}removed the npm link of cclocal and cclocald from /m);
  assert.match(u.stdout, /^ {2}removed @anthropic-ai\/claude-code from /m);
  assert.equal(existsSync(npmPrefixDir), false, 'the prefix install.sh made is gone, folders and all');
  assert.deepEqual(listing(snapshot(user)), listing(before));
  const again = await install(env, '--uninstall');
  assert.match(again.stdout, /^Nothing to remove/m);
});

test('a claude that cannot run: no "Setup complete", a non-zero exit, and the fix; nothing is installed over it', async (t) => {
  const s = installHome(t, 'unwritable');
  if (!s) return;
  const { env, user } = s;

  // CCLOCAL_CLAUDE_BIN names a file that is not executable: cclocal would run that one, so
  // installing another claude would not help.
  const notExecutable = join(user, 'claude-copy');
  writeFileSync(notExecutable, '#!/bin/sh\necho 2.1.332\n', { mode: 0o644 });
  const r = await install({ ...env, CCLOCAL_CLAUDE_BIN: notExecutable });
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stdout, /Setup complete/);
  assert.match(r.stderr, new RegExp(`^ERROR: CCLOCAL_CLAUDE_BIN=${notExecutable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not an executable file, and it is the claude cclocal runs\\. Point it at Claude Code's claude, or unset it`, 'm'));
  assert.equal(existsSync(join(user, '.local', 'lib')), false, 'npm installed nothing');

  // A claude on PATH whose --version fails (a broken install).
  const broken = join(s.home.dir, 'broken-bin');
  mkdirSync(broken);
  writeFileSync(join(broken, 'claude'), '#!/bin/sh\necho "Error: Cannot find module \'./cli.js\'" >&2\nexit 1\n', { mode: 0o755 });
  const b = await install({ ...env, PATH: `${broken}${delimiter}${env.PATH}` });
  assert.notEqual(b.code, 0);
  assert.doesNotMatch(b.stdout, /Setup complete/);
  assert.match(b.stderr, /^ERROR: cclocal could not start Claude Code: `.*\/broken-bin\/claude --version` failed: Error: Cannot find module '.\/cli\.js'\. Fix: reinstall it \(npm install -g --prefix .*\), or set CCLOCAL_CLAUDE_BIN to a claude that runs; then run \.\/install\.sh again\.$/m);
  assert.equal(existsSync(join(user, '.local', 'lib')), false, 'npm installed nothing');

  // What these runs did add (the links, the PATH line) comes off again; a link the user has
  // since pointed elsewhere is theirs now, and stays (with the folder it is in).
  const mine = join(user, '.local', 'bin', 'cclocald');
  rmSync(mine);
  symlinkSync('/bin/true', mine);
  const u = await install(env, '--uninstall');
  assert.equal(u.code, 0, u.stdout + u.stderr);
  assert.match(u.stdout, new RegExp(`^ {2}kept ~/\\.local/bin/cclocald: it no longer points into ${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.deepEqual(listing(snapshot(user)), ['.local: dir', '.local/bin: dir', '.local/bin/cclocald: link -> /bin/true', 'claude-copy: file #!/bin/sh\necho 2.1.332\n'].sort());
});
