// `cclocald logs` (issue #13, item 3): readable lines on a terminal (pino-pretty), the JSON lines
// as they are when piped or with --json, the engine's text as it is, and -f across a rotation.
// The terminal runs are real ones, in tmux, as in test/client/menu.test.ts.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderLogLine } from '../../daemon/cli/logs-cmd.js';
import { cclocald, DAEMON_MAIN, makeHome, type TestHome } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';
import { hasTmux, tmuxPane } from '../helpers/tmux.js';

const TIME = Date.UTC(2026, 0, 15, 9, 30, 5, 123);

/** The local time as the rendering shows it (the reader's clock, not UTC). */
function localStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const record = (o: Record<string, unknown>) => JSON.stringify({ level: 30, time: TIME, pid: 4242, ...o });

test('a log line is rendered with its level, local time, pid, module, message and fields on one line', () => {
  const out = renderLogLine(record({ mod: 'supervisor', msg: 'engine ready', model: 'org/m', loadS: 3.2 }), { colorize: false });
  assert.equal(out, `[${localStamp(TIME)}] INFO (4242): [supervisor] engine ready {"model":"org/m","loadS":3.2}\n`);
  assert.match(renderLogLine(record({ level: 50, msg: 'engine crashed', reason: 'metal-oom' }), { colorize: false }), /^\[[^\]]+\] ERROR \(4242\): engine crashed \{"reason":"metal-oom"\}\n$/);
  assert.match(renderLogLine(record({ level: 40, msg: 'slow' }), { colorize: false }), / WARN \(4242\): slow\n$/);
});

test('a line that is not a log record comes back as it is; colour only when asked; control characters never', () => {
  assert.equal(renderLogLine('cclocald: cannot listen on 127.0.0.1:8000: the port is in use', { colorize: false }), 'cclocald: cannot listen on 127.0.0.1:8000: the port is in use\n');
  assert.equal(renderLogLine('{"level":30,"msg":"half a li', { colorize: false }), '{"level":30,"msg":"half a li\n');
  assert.ok(!renderLogLine(record({ msg: 'x' }), { colorize: false }).includes('\x1b'));
  assert.ok(renderLogLine(record({ msg: 'x' }), { colorize: true }).includes('\x1b['));
  assert.doesNotMatch(renderLogLine(record({ msg: 'evil \x1b]0;title\x07 \x1b[2J' }), { colorize: false }), /\x1b/);
});

function writeLogs(home: TestHome, daemon: string, engine: string): void {
  mkdirSync(home.paths.logsDir, { recursive: true, mode: 0o700 });
  writeFileSync(home.paths.daemonLog, daemon, { mode: 0o600 });
  writeFileSync(home.paths.engineLog, engine, { mode: 0o600 });
}

test('piped, cclocald logs and logs --json print the JSON lines exactly as written; --engine the engine text', async (t) => {
  const home = makeHome(t);
  const daemon = `${record({ mod: 'daemon', msg: 'listening' })}\n${record({ level: 40, mod: 'endpoint', msg: 'slow', ms: 900 })}\nplain stderr line\n`;
  const engine = 'INFO:     Uvicorn running on http://127.0.0.1:9999\n{"not":"a pino line"}\n';
  writeLogs(home, daemon, engine);
  for (const args of [['logs'], ['logs', '--json']]) {
    const r = await cclocald(home, ...args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, daemon, `${args.join(' ')}: not rendered`);
    const [a, b] = r.stdout.split('\n').map((l) => { try { return JSON.parse(l) as { msg?: string }; } catch { return null; } });
    assert.equal(a?.msg, 'listening');
    assert.equal(b?.msg, 'slow');
  }
  const e = await cclocald(home, 'logs', '--engine');
  assert.equal(e.stdout, engine);
});

/** Runs a command in a tmux pane of its own and returns a reader of the screen. */
function inTerminal(t: Parameters<typeof onCleanup>[0], home: TestHome, args: string[]) {
  return tmuxPane(t, [process.execPath, '--import', 'tsx', DAEMON_MAIN, ...args], home.env, { width: 220 });
}

test('on a terminal, cclocald logs renders each line; --json keeps the JSON', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t);
  writeLogs(home, `${record({ mod: 'supervisor', msg: 'engine ready', model: 'org/m' })}\nplain stderr line\n`, '');
  const pretty = await inTerminal(t, home, ['logs']).waitFor(/exit=0/, 'cclocald logs to finish');
  assert.ok(pretty.includes(`[${localStamp(TIME)}] INFO (4242): [supervisor] engine ready {"model":"org/m"}`), pretty);
  assert.match(pretty, /^plain stderr line$/m);
  assert.doesNotMatch(pretty, /"level":30/);
  const json = await inTerminal(t, home, ['logs', '--json']).waitFor(/exit=0/, 'cclocald logs --json to finish');
  assert.match(json, /\{"level":30,"time":\d+,"pid":4242,"mod":"supervisor","msg":"engine ready","model":"org\/m"\}/);
});

test('on a terminal, cclocald logs -f renders lines as they come, a line written in two parts once, and goes on across a rotation', { skip: hasTmux ? false : 'tmux is not installed' }, async (t) => {
  const home = makeHome(t);
  writeLogs(home, `${record({ msg: 'before the follow' })}\n`, '');
  const pane = inTerminal(t, home, ['logs', '-f']);
  await pane.waitFor(/INFO \(4242\): before the follow/, 'the first line');
  // A whole line and the start of the next in one write: once the first shows, the half was read too.
  const line = record({ msg: 'written in two parts', n: 2 });
  appendFileSync(home.paths.daemonLog, `${record({ msg: 'a whole line' })}\n${line.slice(0, 30)}`);
  const half = await pane.waitFor(/INFO \(4242\): a whole line/, 'the whole line');
  assert.doesNotMatch(half, /"level"/, 'the half line is held back, not printed raw');
  appendFileSync(home.paths.daemonLog, `${line.slice(30)}\n`);
  await pane.waitFor(/INFO \(4242\): written in two parts \{"n":2\}/, 'the line written in two parts');
  // logrotate's way: the file is moved, and the daemon (on SIGHUP) writes a new one.
  renameSync(home.paths.daemonLog, `${home.paths.daemonLog}.1`);
  writeFileSync(home.paths.daemonLog, `${record({ level: 40, msg: 'after the rotation' })}\n`, { mode: 0o600 });
  const screen = await pane.waitFor(/WARN \(4242\): after the rotation/, 'the rotated log');
  assert.equal(screen.match(/written in two parts/g)?.length, 1, 'rendered once, whole');
  assert.doesNotMatch(screen, /"msg"/, 'no raw JSON');
});
