// The LaunchAgent plist and the systemd unit, checked by independent parsers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'plist';
import { renderPlist, plistPath } from '../../launchd/plist.js';
import type { ServiceSpec } from '../../launchd/service-spec.js';
import { renderUnit, unitPath } from '../../launchd/systemd.js';
import { tempDir } from '../helpers/temp-home.js';

function spec(root: string): ServiceSpec {
  // A Mac-like path with a space, as under "Application Support".
  const app = join(root, 'Application Support', 'cclocal');
  mkdirSync(join(app, 'dist', 'daemon'), { recursive: true });
  writeFileSync(join(app, 'dist', 'daemon', 'main.js'), '');
  return {
    nodePath: process.execPath,
    daemonEntry: join(app, 'dist', 'daemon', 'main.js'),
    userHome: join(root, 'Users', 'ada lovelace'),
    path: `/opt/homebrew/bin:${join(app, '.venv', 'bin')}:/usr/bin:/bin`,
    env: { CCLOCAL_HOME: join(root, 'Users', 'ada lovelace', 'cclocal home'), HF_HOME: '/Volumes/Models/hf 100%' },
    stopTimeoutS: 30,
  };
}

test('the LaunchAgent has every key launchd needs, with the right types, in both parsers', (t) => {
  const s = spec(tempDir(t));
  const text = renderPlist(s);
  const ours = parse(text) as Record<string, unknown>;
  // Python's plistlib, with each top-level value's type, which JSON alone would blur (int vs float).
  const py = spawnSync('python3', ['-c', 'import plistlib,sys,json; d=plistlib.loads(sys.stdin.buffer.read()); print(json.dumps([d, {k: type(v).__name__ for k, v in d.items()}]))'], { input: text, encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const [theirs, types] = JSON.parse(py.stdout) as [Record<string, unknown>, Record<string, string>];
  assert.deepEqual(types, {
    Label: 'str', ProgramArguments: 'list', EnvironmentVariables: 'dict', RunAtLoad: 'bool', KeepAlive: 'dict', ThrottleInterval: 'int',
    ProcessType: 'str', StandardOutPath: 'str', StandardErrorPath: 'str', WorkingDirectory: 'str', ExitTimeOut: 'int', SoftResourceLimits: 'dict',
  });
  for (const p of [ours, theirs]) {
    assert.equal(p.Label, 'dev.cclocal.cclocald');
    assert.deepEqual(p.ProgramArguments, [process.execPath, s.daemonEntry, 'run']);
    assert.deepEqual(p.EnvironmentVariables, { PATH: s.path, ...s.env });
    assert.equal(p.RunAtLoad, true);
    assert.deepEqual(p.KeepAlive, { SuccessfulExit: false });
    assert.equal(p.ThrottleInterval, 10);
    assert.equal(p.ProcessType, 'Interactive');
    assert.equal(p.StandardOutPath, `${s.userHome}/Library/Logs/cclocal/cclocald.out.log`);
    assert.equal(p.StandardErrorPath, `${s.userHome}/Library/Logs/cclocal/cclocald.err.log`);
    assert.equal(p.WorkingDirectory, s.userHome);
    assert.equal(p.ExitTimeOut, 30);
    // launchd's default soft limit is 256 open files (issue 11, item 2).
    assert.deepEqual(p.SoftResourceLimits, { NumberOfFiles: 8192 });
  }
  // Types as launchd.plist(5) wants them: integers are <integer>, booleans <true/>/<false/>.
  assert.match(text, /<key>ThrottleInterval<\/key>\s*<integer>10<\/integer>/);
  assert.match(text, /<key>RunAtLoad<\/key>\s*<true\/>/);
  assert.equal(plistPath('/Users/a'), '/Users/a/Library/LaunchAgents/dev.cclocal.cclocald.plist');
});

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('the systemd user unit is valid, restarts on failure, and quotes paths with spaces, % and $', { skip: !hasAnalyze && 'systemd-analyze is not installed (Debian package systemd)' }, (t) => {
  const root = tempDir(t);
  const s = { ...spec(root), nodePath: join(root, 'node $HOME', 'node'), daemonEntry: join(root, 'app $HOME', 'main.js') };
  const text = renderUnit(s);
  // In a command's arguments systemd would expand $HOME: it is doubled there, and only there.
  assert.ok(text.includes(`ExecStart="${join(root, 'node $HOME', 'node')}" "${join(root, 'app $$HOME', 'main.js')}" "run"`), text);
  assert.match(text, /^Environment="PATH=[^"]+" "CCLOCAL_HOME=[^"]*cclocal home" "HF_HOME=\/Volumes\/Models\/hf 100%%"$/m);
  for (const line of ['Restart=on-failure', 'RestartSec=5', 'StartLimitIntervalSec=600', 'StartLimitBurst=5', 'KillMode=mixed', 'TimeoutStopSec=30', 'WantedBy=default.target']) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.deepEqual(text.split('\n').filter((l) => l.startsWith('[')), ['[Unit]', '[Service]', '[Install]']);
  mkdirSync(join(root, 'node $HOME'));
  writeFileSync(s.nodePath, '', { mode: 0o755 }); // verify checks that the command exists
  const file = join(root, 'cclocald.service');
  writeFileSync(file, text);
  const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stderr.trim(), '', v.stderr);
  assert.equal(unitPath('/home/a'), '/home/a/.config/systemd/user/cclocald.service');
});
