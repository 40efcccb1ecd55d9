// The live status page (GET / from a browser) and what it loads: one static page, its script,
// uPlot (a small charting library) from node_modules, and the event stream. Read-only routes;
// the endpoint's Host and Origin checks run before any of them.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import type { LiveFeed } from './live-feed.js';

const PAGE_DIR = join(packageRoot(), 'daemon', 'endpoint', 'status-page');
const UPLOT_DIR = join(packageRoot(), 'node_modules', 'uplot', 'dist');

const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/status-page/page.js': { path: join(PAGE_DIR, 'page.js'), type: 'text/javascript; charset=utf-8' },
  '/status-page/page.css': { path: join(PAGE_DIR, 'page.css'), type: 'text/css; charset=utf-8' },
  '/status-page/uplot.js': { path: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/status-page/uplot.css': { path: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Only what the page itself loads: a value that reached it could run nothing and send nothing. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A browser asking for the page (Claude Code and curl ask for JSON or anything). */
export function wantsPage(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

/** Serves the page's routes; false for any other path. */
export function pageRoute(req: IncomingMessage, res: ServerResponse, path: string, feed: LiveFeed): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/events') {
    if (req.method === 'HEAD') res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
    else feed.attach(res);
    return true;
  }
  if (path === '/' && !wantsPage(req)) return false;
  const file = FILES[path];
  if (!file) return false;
  let body: Buffer;
  try { body = readFileSync(file.path); } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`the status page's ${path} is missing from ${file.path}; reinstall cclocal (./install.sh)\n`);
    return true;
  }
  res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
