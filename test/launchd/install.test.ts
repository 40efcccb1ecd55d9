// install, reinstall and uninstall against stand-ins for launchctl and systemctl on PATH, in a
// temporary HOME with a space in it. The stand-ins start the daemon from the service file, as
// launchd and systemd would, so the tests also see the daemon come and go.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse } from 'plist';
import { socketAnswers } from '../../common/wait-for.js';
import { readPidFile } from '../../common/spawn-daemon.js';
import { cclocald, FIXTURE_BIN, isAlive, liveEngines, makeHome, recorded, ROOT, runProgram, type TestHome } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

function serviceHome(t: TestContext): TestHome {
  const home = makeHome(t);
  home.env.HOME = join(home.dir, 'Application Support', 'home');
  mkdirSync(home.env.HOME, { recursive: true });
  onCleanup(t, () => {
    const pid = readPidFile(home.paths.pid);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const e of liveEngines(home)) process.kill(-e, 'SIGKILL');
  });
  return home;
}

const INSTALL_CALLS = ['--user daemon-reload', '--user enable cclocald.service', '--user reset-failed cclocald.service', '--user restart cclocald.service'];
const calls = (home: TestHome, program: string) => recorded(home).filter((r) => r.program === program).map((r) => (r.argv as string[]).join(' '));

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

test('install --dry-run prints the exact unit and commands and touches nothing', async (t) => {
  const home = serviceHome(t);
  const r = await cclocald(home, 'install', '--dry-run', '--platform', 'linux');
  assert.equal(r.code, 0, r.stderr);
  const unit = join(home.env.HOME!, '.config/systemd/user/cclocald.service');
  assert.match(r.stdout, new RegExp(`^# would write ${unit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:$`, 'm'));
  assert.match(r.stdout, /^ExecStart="[^"]+" "[^"]+\/dist\/daemon\/main\.js" "run"$/m);
  assert.match(r.stdout, /^# would run:\nsystemctl --user daemon-reload\nsystemctl --user enable cclocald\.service\nsystemctl --user reset-failed cclocald\.service   # may fail, harmlessly\nsystemctl --user restart cclocald\.service$/m);
  const mac = await cclocald(home, 'install', '--dry-run', '--platform', 'darwin');
  // The printed plist is the one that would be written: it parses, and runs the built entry.
  const printed = parse(mac.stdout.slice(mac.stdout.indexOf('<?xml'), mac.stdout.indexOf('# would run:'))) as { Label: string; ProgramArguments: string[] };
  assert.equal(printed.Label, 'dev.cclocal.cclocald');
  assert.deepEqual(printed.ProgramArguments, [process.execPath, join(ROOT, 'dist', 'daemon', 'main.js'), 'run']);
  assert.match(mac.stdout, new RegExp(`launchctl bootout gui/${process.getuid!()}/dev\\.cclocal\\.cclocald   # may fail, harmlessly\\n# \\(wait until the old cclocald has exited\\)\\nlaunchctl bootstrap gui/${process.getuid!()} '[^']*Application Support/home/Library/LaunchAgents/dev\\.cclocal\\.cclocald\\.plist'`));
  assert.deepEqual(filesUnder(home.env.HOME!), []);
  assert.deepEqual(calls(home, 'systemctl'), []);
  assert.deepEqual(calls(home, 'launchctl'), []);
});

test('systemd: install starts the daemon; start/stop/restart go through systemctl; reinstall and uninstall are clean', async (t) => {
  const home = serviceHome(t);
  const r = await cclocald(home, 'install', '--platform', 'linux');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const unit = join(home.env.HOME!, '.config/systemd/user/cclocald.service');
  assert.ok(existsSync(unit));
  assert.deepEqual(calls(home, 'systemctl'), INSTALL_CALLS);
  assert.equal(await socketAnswers(home.paths.socket), true, 'the service brought the daemon up');
  const first = readPidFile(home.paths.pid)!;

  const status = await cclocald(home, 'status');
  assert.match(status.stdout, new RegExp(`login service: .*cclocald\\.service \\(active\\)`));

  assert.equal((await cclocald(home, 'restart')).code, 0);
  assert.equal(calls(home, 'systemctl').at(-1), '--user restart cclocald.service');
  assert.notEqual(readPidFile(home.paths.pid), first);

  assert.equal((await cclocald(home, 'stop')).code, 0);
  assert.equal(calls(home, 'systemctl').at(-1), '--user stop cclocald.service');
  assert.equal(await socketAnswers(home.paths.socket), false);

  assert.equal((await cclocald(home, 'start')).code, 0);
  assert.equal(calls(home, 'systemctl').at(-1), '--user start cclocald.service');
  assert.equal(await socketAnswers(home.paths.socket), true);

  const before = readFileSync(unit, 'utf8');
  const again = await cclocald(home, 'install', '--platform', 'linux');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(unit, 'utf8'), before);
  assert.deepEqual(calls(home, 'systemctl').slice(-4), INSTALL_CALLS);

  const gone = await cclocald(home, 'uninstall', '--platform', 'linux');
  assert.equal(gone.code, 0, gone.stderr);
  assert.deepEqual(calls(home, 'systemctl').slice(-2), ['--user disable --now cclocald.service', '--user daemon-reload']);
  assert.equal(existsSync(unit), false);
  assert.deepEqual(JSON.parse(readFileSync(join(home.dir, 'service-state', 'daemon-reload.json'), 'utf8')), { unitFileExisted: false }, 'systemd was reloaded after the unit file was removed');
  assert.equal(await socketAnswers(home.paths.socket), false, 'uninstall stopped the daemon');
  assert.deepEqual(liveEngines(home), []);
  // Nothing but the (now empty) unit folder was ever created in HOME.
  assert.deepEqual(filesUnder(home.env.HOME!).map((f) => relative(home.env.HOME!, f)), []);
});

test('launchd: install bootstraps the agent, reinstall reloads it, uninstall boots it out and removes the plist', async (t) => {
  const home = serviceHome(t);
  const uid = process.getuid!();
  const plist = join(home.env.HOME!, 'Library/LaunchAgents/dev.cclocal.cclocald.plist');
  const r = await cclocald(home, 'install', '--platform', 'darwin');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(calls(home, 'launchctl'), [`bootout gui/${uid}/dev.cclocal.cclocald`, `bootstrap gui/${uid} ${plist}`]);
  assert.ok(existsSync(plist));
  assert.ok(existsSync(join(home.env.HOME!, 'Library/Logs/cclocal')), 'the log folder launchd writes to exists');
  assert.equal(await socketAnswers(home.paths.socket), true);
  const first = readPidFile(home.paths.pid)!;

  const again = await cclocald(home, 'install', '--platform', 'darwin');
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(calls(home, 'launchctl').slice(-2), [`bootout gui/${uid}/dev.cclocal.cclocald`, `bootstrap gui/${uid} ${plist}`]);
  assert.equal(isAlive(first), false, 'the old daemon was booted out');
  assert.equal(await socketAnswers(home.paths.socket), true);

  const gone = await cclocald(home, 'uninstall', '--platform', 'darwin');
  assert.equal(gone.code, 0, gone.stderr);
  assert.equal(calls(home, 'launchctl').at(-1), `bootout gui/${uid}/dev.cclocal.cclocald`);
  assert.equal(existsSync(plist), false);
  assert.equal(await socketAnswers(home.paths.socket), false);
  assert.deepEqual(filesUnder(home.env.HOME!).map((f) => relative(home.env.HOME!, f)), []);
});

test('cclocal starts a stopped daemon through the installed login service, not behind its back', async (t) => {
  const home = serviceHome(t);
  assert.equal((await cclocald(home, 'install', '--platform', 'linux')).code, 0);
  onCleanup(t, () => cclocald(home, 'uninstall', '--platform', 'linux'));
  assert.equal((await cclocald(home, 'stop')).code, 0);
  const r = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--gemma-light', '--', '-p', 'x'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude') } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /fake claude ran/);
  assert.equal(calls(home, 'systemctl').at(-1), '--user start cclocald.service');
  assert.match((await cclocald(home, 'status')).stdout, /login service: .*cclocald\.service \(active\)/);
});

test('launchd: start, restart and status go through launchctl kickstart and print', async (t) => {
  const home = makeHome(t, { config: { platform: 'darwin' } }); // the macOS paths, with the stand-in launchctl
  home.env.HOME = join(home.dir, 'Application Support', 'home');
  mkdirSync(home.env.HOME, { recursive: true });
  onCleanup(t, async () => {
    await cclocald(home, 'uninstall');
    const pid = readPidFile(home.paths.pid);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  const uid = process.getuid!();
  const target = `gui/${uid}/dev.cclocal.cclocald`;
  assert.equal((await cclocald(home, 'install')).code, 0);
  const plist = join(home.env.HOME, 'Library/LaunchAgents/dev.cclocal.cclocald.plist');
  const first = readPidFile(home.paths.pid)!;
  assert.match((await cclocald(home, 'status')).stdout, new RegExp(`login service: ${plist.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(loaded, running, pid ${first}\\)`));

  const restarted = await cclocald(home, 'restart');
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.equal(calls(home, 'launchctl').at(-1), `kickstart -k ${target}`);
  const second = readPidFile(home.paths.pid)!;
  assert.notEqual(second, first);
  assert.equal(isAlive(first), false);

  // stop is a clean exit over the socket (KeepAlive SuccessfulExit false: launchd leaves it down)
  assert.equal((await cclocald(home, 'stop')).code, 0);
  assert.equal(calls(home, 'launchctl').at(-1), `kickstart -k ${target}`, 'stop does not go through launchctl');
  assert.match((await cclocald(home, 'status')).stderr + (await cclocald(home, 'status')).stdout, /not running|not answering|is not running/i);

  assert.equal((await cclocald(home, 'start')).code, 0);
  assert.equal(calls(home, 'launchctl').at(-1), `kickstart ${target}`);
  assert.equal(await socketAnswers(home.paths.socket), true);
});

// Issue #11, item 12: where systemctl --user has no session to talk to, install must not leave
// a unit behind that every later start goes through and fails on.
test('without a user systemd session, install says why in systemd\'s words and leaves no unit; a unit left behind names `cclocald uninstall`', async (t) => {
  const home = serviceHome(t);
  home.env.FAKE_SYSTEMCTL_NO_BUS = '1';
  const unit = join(home.env.HOME!, '.config/systemd/user/cclocald.service');
  const r = await cclocald(home, 'install', '--platform', 'linux');
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /^cclocald: the login service did not start: systemctl --user daemon-reload failed: Failed to connect to bus: No medium found$/m);
  assert.match(r.stderr, /^systemctl --user status --no-pager cclocald\.service:\n {2}Failed to connect to bus: No medium found$/m);
  assert.match(r.stderr, /^journalctl --user -u cclocald\.service -n 20 --no-pager:\n {2}No journal files were found\.$/m);
  assert.match(r.stderr, /nothing is left installed/);
  assert.match(r.stderr, /loginctl enable-linger/);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(unit), false, 'the unit was taken back');
  assert.ok(!calls(home, 'systemctl').includes('--user enable cclocald.service'), 'nothing was tried past the first failure');

  // A unit installed where a session was once available: cclocal's start goes through it.
  mkdirSync(dirname(unit), { recursive: true });
  writeFileSync(unit, '[Service]\nExecStart=/bin/false\n');
  const c = await runProgram(join(ROOT, 'bin', 'cclocal'), ['--gemma-light', '--', '-p', 'x'], { env: { ...home.env, CCLOCAL_CLAUDE_BIN: join(FIXTURE_BIN, 'fake-claude') } });
  assert.equal(c.code, 1);
  assert.match(c.stderr, /the login service refused to start: Failed to connect to bus: No medium found/);
  assert.match(c.stderr, /remove it with `cclocald uninstall`/);
  const gone = await cclocald(home, 'uninstall', '--platform', 'linux');
  assert.equal(gone.code, 0, gone.stderr);
  assert.equal(existsSync(unit), false);
});
