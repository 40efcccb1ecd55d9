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
  const py = spawnSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], { input: text, encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const theirs = JSON.parse(py.stdout) as Record<string, unknown>;
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
  }
  // Types as launchd.plist(5) wants them: integers are <integer>, booleans <true/>/<false/>.
  assert.match(text, /<key>ThrottleInterval<\/key>\s*<integer>10<\/integer>/);
  assert.match(text, /<key>RunAtLoad<\/key>\s*<true\/>/);
  assert.equal(plistPath('/Users/a'), '/Users/a/Library/LaunchAgents/dev.cclocal.cclocald.plist');
});

test('the systemd user unit is valid, restarts on failure, and quotes paths with spaces and %', (t) => {
  const root = tempDir(t);
  const s = spec(root);
  const text = renderUnit(s);
  assert.match(text, /^ExecStart="[^"]+node" "[^"]*Application Support\/cclocal\/dist\/daemon\/main\.js" "run"$/m);
  assert.match(text, /^Environment="PATH=[^"]+" "CCLOCAL_HOME=[^"]*cclocal home" "HF_HOME=\/Volumes\/Models\/hf 100%%"$/m);
  for (const line of ['Restart=on-failure', 'RestartSec=5', 'StartLimitIntervalSec=600', 'StartLimitBurst=5', 'KillMode=mixed', 'TimeoutStopSec=30', 'WantedBy=default.target']) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.deepEqual(text.split('\n').filter((l) => l.startsWith('[')), ['[Unit]', '[Service]', '[Install]']);
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (analyze.status === 0) {
    const file = join(root, 'cclocald.service');
    writeFileSync(file, text);
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', v.stderr);
  }
  assert.equal(unitPath('/home/a'), '/home/a/.config/systemd/user/cclocald.service');
});
