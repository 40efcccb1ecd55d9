// Who may use a CCLOCAL_HOME (issue #11): the pure decision over owners and modes, the facts read
// from real folders, how a cclocald looks in ps, the write that never follows a planted link, and
// the shorter home the socket-length error suggests. "Owned by another user" cannot be made
// without root, so the uid rule is tested through judgeHome; the mode rules also on real folders.
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { isDaemonCommandLine, isDaemonOfHome } from '../../common/daemon-command.js';
import { fileProblem, homeProblem, judgeHome, type PathFacts } from '../../common/home-safety.js';
import { assertSocketPathFits, SocketPathTooLongError } from '../../daemon/protocol/paths.js';
import { tempDir } from '../helpers/temp-home.js';

const ME = 501;
const home = (uid: number, mode: number): PathFacts => ({ path: '/Users/me/.cclocal', role: 'home', uid, mode: 0o40000 | mode });
const above = (path: string, uid: number, mode: number): PathFacts => ({ path, role: 'above', uid, mode: 0o40000 | mode });
const link = (uid: number): PathFacts => ({ path: '/Users/me/.cclocal', role: 'link', uid, mode: 0o120777 });
const SAFE_ABOVE = [above('/Users/me', ME, 0o755), above('/Users', 0, 0o755), above('/', 0, 0o755)];

test('judgeHome: only a home that is yours and closed to other writers, under folders only you or root can change, passes', () => {
  const cases: Array<[string, PathFacts[], RegExp | null]> = [
    ['yours, 0700', [home(ME, 0o700), ...SAFE_ABOVE], null],
    ['yours, 0755 (readable, tightened later)', [home(ME, 0o755), ...SAFE_ABOVE], null],
    ["another user's", [home(502, 0o700), ...SAFE_ABOVE], /belongs to another user \(uid 502; you are uid 501\)/],
    ["root's, for a user (left by a sudo run)", [home(0, 0o755), ...SAFE_ABOVE], /belongs to another user \(uid 0/],
    ['writable by all (0777)', [home(ME, 0o777), ...SAFE_ABOVE], /writable by its group and all users \(mode 0777\)/],
    ['writable by its group (0770)', [home(ME, 0o770), ...SAFE_ABOVE], /writable by its group \(mode 0770\)/],
    ['a symlink of your own to your folder', [home(ME, 0o700), link(ME), ...SAFE_ABOVE], null],
    ["a symlink of another user's", [home(ME, 0o700), link(502), ...SAFE_ABOVE], /a symlink that belongs to another user \(uid 502\)/],
    ['under /tmp (sticky, root)', [home(ME, 0o700), above('/tmp', 0, 0o1777), above('/', 0, 0o755)], null],
    ['under a folder all may write, not sticky', [home(ME, 0o700), above('/srv/drop', 0, 0o777), above('/', 0, 0o755)], /\/srv\/drop, a folder above the home, is writable by its group and all users/],
    ["under another user's folder", [home(ME, 0o700), above('/home/them', 502, 0o755), above('/', 0, 0o755)], /\/home\/them, a folder above the home, belongs to another user/],
  ];
  for (const [what, facts, want] of cases) {
    const p = judgeHome(facts, ME);
    if (want === null) assert.equal(p, null, what);
    else {
      assert.match(p?.reason ?? '', want, what);
      assert.match(p!.fix, /CCLOCAL_HOME/, `${what}: the fix says what to do`);
    }
  }
});

test('homeProblem reads real folders: a group- or world-writable home, or a symlink to one, is named; a 0700 one passes', (t) => {
  const dir = tempDir(t);
  const uid = process.getuid!();
  const mine = join(dir, 'mine');
  mkdirSync(mine, { mode: 0o700 });
  assert.equal(homeProblem(mine, uid), null);
  assert.equal(homeProblem(join(dir, 'not-yet'), uid), null, 'a home not made yet: the daemon makes it 0700');
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  assert.match(homeProblem(open, uid)?.reason ?? '', /open is writable by its group and all users \(mode 0777\)/);
  assert.match(homeProblem(open, uid)!.fix, /chmod 700/);
  chmodSync(open, 0o770);
  assert.match(homeProblem(open, uid)?.reason ?? '', /writable by its group \(mode 0770\)/);
  const via = join(dir, 'via-link');
  symlinkSync(open, via);
  assert.match(homeProblem(via, uid)?.reason ?? '', new RegExp(`${open} is writable by its group`), 'the target is judged, under its own name');
  assert.match(homeProblem(mine, uid + 1)?.reason ?? '', /belongs to another user/);
});

test('fileProblem: attach.sh must be a plain file of yours that group and others cannot write', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'attach.sh');
  assert.equal(fileProblem(f), null, 'absent: nothing to source, nothing to say');
  writeFileSync(f, 'x\n', { mode: 0o600 });
  assert.equal(fileProblem(f), null);
  chmodSync(f, 0o620);
  assert.match(fileProblem(f) ?? '', /writable by its group \(mode 0620\)/);
  const l = join(dir, 'link.sh');
  symlinkSync(f, l);
  assert.match(fileProblem(l) ?? '', /not a plain file/);
  chmodSync(f, 0o600);
  assert.match(fileProblem(f, process.getuid!() + 1) ?? '', /belongs to another user/);
});

test('a cclocald is told from whatever got its pid by its command line and its home', () => {
  for (const yes of ['node --import tsx /work/main/daemon/main.ts run', '/usr/bin/node /opt/cclocal/dist/daemon/main.js run', 'node /usr/local/bin/cclocald run', 'node /x/bin/cclocald.js run']) {
    assert.ok(isDaemonCommandLine(yes), yes);
  }
  for (const no of ['node -e setInterval(()=>{},1e9)', 'node /work/main/daemon/main.ts status', 'vim cclocald', 'python3 -m http.server', '']) {
    assert.ok(!isDaemonCommandLine(no), no);
  }
  const here = (dir: string) => dir === '/h';
  assert.equal(isDaemonOfHome({ commandLine: 'node /d/daemon/main.js run', envValue: '/h' }, here), true);
  assert.equal(isDaemonOfHome({ commandLine: 'node /d/daemon/main.js run', envValue: '/other' }, here), false, "another home's daemon");
  assert.equal(isDaemonOfHome({ commandLine: 'node /d/daemon/main.js run', envValue: null }, here), true, 'the default home may be this one');
  assert.equal(isDaemonOfHome({ commandLine: 'sleep 100', envValue: '/h' }, here), false, 'a recycled pid');
  assert.equal(isDaemonOfHome(null, here), true, 'unreadable: never take a booting daemon for stale');
});

test('writeFileAtomic never writes through a link planted at its temp name, and leaves no temp file', (t) => {
  const dir = tempDir(t);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  const target = join(dir, 'attach.sh');
  symlinkSync(victim, `${target}.planted.tmp`);
  const names = ['planted', 'fresh'];
  writeFileAtomic(target, 'new\n', 0o600, () => names.shift()!);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the planted link was not followed');
  assert.equal(readFileSync(target, 'utf8'), 'new\n');
  assert.ok(lstatSync(target).isFile(), 'the file is a file, not the planted link');
  assert.equal(lstatSync(target).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ['attach.sh', 'attach.sh.planted.tmp', 'victim'], 'no temp file of its own is left');
  assert.throws(() => writeFileAtomic(target, 'x', 0o600, () => 'planted'), /EEXIST/, 'a name that stays taken is given up, not opened');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('a socket path over the limit suggests a folder of your own, never a shared one such as /tmp', () => {
  const long = `/tmp/${'x'.repeat(120)}/cclocald.sock`;
  const err = (() => { try { assertSocketPathFits(long, 'linux', { XDG_RUNTIME_DIR: '/run/user/1000' }); } catch (e) { return e; } return null; })();
  assert.ok(err instanceof SocketPathTooLongError);
  const advice = err.message.slice(err.message.indexOf('set CCLOCAL_HOME'));
  assert.equal(advice, `set CCLOCAL_HOME to a shorter folder of your own, such as ${join(homedir(), '.cclocal')} or /run/user/1000/cclocal`);
  // No short folder of one's own fits: say what not to pick.
  assert.match(new SocketPathTooLongError(long, 107, []).message, /a shorter folder of your own \(not a shared one such as \/tmp, where another user could make it first\)$/);
});
