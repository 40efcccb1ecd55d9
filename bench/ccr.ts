// A peer gateway for comparison: @musistudio/claude-code-router (a devDependency, pinned) set up
// in front of the same stand-in engine, with its Anthropic transformer so requests pass through.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pickFreePort } from '../daemon/engine/free-port.js';

export interface Peer { base: string; version: string; close(): Promise<void> }

function ccrCli(): { cli: string; version: string } | null {
  const require = createRequire(import.meta.url);
  try {
    const pkgPath = require.resolve('@musistudio/claude-code-router/package.json');
    const pkg = require(pkgPath) as { version: string; bin: { ccr: string } };
    return { cli: join(pkgPath, '..', pkg.bin.ccr), version: pkg.version };
  } catch {
    return null;
  }
}

async function answers(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Starts `ccr start` in the foreground with its own HOME; null when the package is absent. */
export async function startCcr(engineUrl: string, model: string, apiKey = 'not-needed'): Promise<Peer | null> {
  const found = ccrCli();
  if (!found) return null;
  const home = mkdtempSync('/tmp/cclb-ccr-');
  const port = await pickFreePort();
  mkdirSync(join(home, '.claude-code-router'));
  writeFileSync(join(home, '.claude-code-router', 'config.json'), JSON.stringify({
    HOST: '127.0.0.1', PORT: port, LOG: false, API_TIMEOUT_MS: 600_000,
    Providers: [{ name: 'local', api_base_url: `${engineUrl}/v1/messages`, api_key: apiKey, models: [model], transformer: { use: ['Anthropic'] } }],
    Router: { default: `local,${model}` },
  }));
  const proc: ChildProcess = spawn(process.execPath, [found.cli, 'start'], { stdio: 'ignore', env: { PATH: process.env.PATH, HOME: home } });
  const base = `http://127.0.0.1:${port}`;
  const exited = once(proc, 'exit');
  // Polling its port is the only readiness signal it gives; give up if it exits first.
  let gone = false;
  void exited.then(() => { gone = true; });
  while (!(await answers(base))) {
    if (gone) { rmSync(home, { recursive: true, force: true }); return null; }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base, version: found.version,
    async close() {
      if (!gone) { proc.kill('SIGTERM'); await exited; }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
