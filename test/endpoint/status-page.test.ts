// The live status page in a real browser: Debian's chromium driven by playwright-core against a
// real daemon. A request appears as it is answered; a crash of the engine appears with what the
// daemon did, and the recovery; no prompt text or credential is ever on the page.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { isState, isType } from '../helpers/events.js';
import { makeHome, ROOT, startDaemon } from '../helpers/daemon.js';
import { onCleanup } from '../helpers/temp-home.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p)) ?? null;
const skip = CHROMIUM ? false : 'no chromium to drive (.ci/run installs Debian\'s: apt-get install chromium)';
const WAIT_MS = 20_000;

async function browser(t: Parameters<typeof onCleanup>[0]): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
  const b = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu'] });
  onCleanup(t, () => b.close());
  return b;
}

const textOf = (page: Page, selector: string) => page.locator(selector).innerText();

test('the status page shows the engine, a request as it is answered, and a crash with the restart that followed', { skip }, async (t) => {
  const home = makeHome(t);
  const d = await startDaemon(t, home);
  await d.rpc.request('load', { model: 'gemma-light' });
  const page = await (await browser(t)).newPage();
  await page.goto(`http://127.0.0.1:${home.port}/`);
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready', undefined, { timeout: WAIT_MS });
  assert.match(await textOf(page, '#model'), /gemma/i);
  assert.match(await textOf(page, '#window'), /32768 tokens/);
  await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live', undefined, { timeout: WAIT_MS });

  const SECRET = 'sk-ant-api03-never-on-the-page';
  const PROMPT = 'a prompt the page must never show';
  // A few, so the chart has a line to draw.
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`http://127.0.0.1:${home.port}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': SECRET, 'x-claude-code-session-id': 'session-for-the-page' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    });
    assert.equal(r.status, 200);
    await r.text();
  }
  await page.waitForFunction(() => (document.querySelector('#requests tbody')?.children.length ?? 0) >= 4, undefined, { timeout: WAIT_MS });
  const row = await textOf(page, '#requests tbody tr:first-child');
  assert.match(row, /session-/);
  assert.match(row, /200/);
  assert.match(row, /done/);

  const pid = (await d.rpc.request('status')).engine.pid!;
  process.kill(pid, 'SIGKILL');
  await d.events.next(isType('crash'), 'the crash');
  await page.waitForFunction(() => /signal/.test(document.getElementById('crashes')?.textContent ?? ''), undefined, { timeout: WAIT_MS });
  await d.events.next(isState('ready'), 'ready again');
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready', undefined, { timeout: WAIT_MS });
  const crashes = await textOf(page, '#crashes');
  assert.match(crashes, /signal \(SIGKILL\); cclocald restarted it \(attempt 1/);

  const all = await page.content();
  assert.ok(!all.includes(SECRET) && !all.includes(PROMPT), 'no credential and no prompt text on the page');
  if (process.env.CCLOCAL_SCREENSHOT) await page.screenshot({ path: join(ROOT, 'docs', 'status-page.png'), fullPage: true });
});

test('the page is read-only and loopback-only: a foreign Origin or Host is refused, and it offers nothing that changes state', { skip }, async (t) => {
  const home = makeHome(t);
  await startDaemon(t, home);
  const base = `http://127.0.0.1:${home.port}`;
  const foreign = await fetch(`${base}/events`, { headers: { origin: 'https://evil.example' } });
  assert.equal(foreign.status, 403);
  await foreign.arrayBuffer();
  const html = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const body = await html.text();
  assert.doesNotMatch(body, /<form|<button|method=/i, 'no control that could change anything');
  // Claude Code and scripts asking GET / without text/html keep the JSON answer.
  const json = await fetch(`${base}/`);
  assert.match(json.headers.get('content-type') ?? '', /application\/json/);
  await json.arrayBuffer();
});
