// A short temporary folder per test (Unix socket paths are limited to ~104 bytes), and a
// last-in-first-out cleanup stack: node:test runs t.after hooks in registration order, but a
// daemon must stop before its home is removed.
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';

const stacks = new WeakMap<TestContext, Array<() => unknown>>();

export function onCleanup(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const fns: Array<() => unknown> = [];
    stacks.set(t, fns);
    stack = fns;
    t.after(async () => {
      let firstError: unknown;
      for (const f of fns.reverse()) {
        try { await f(); } catch (err) { firstError ??= err; }
      }
      if (firstError) throw firstError;
    });
  }
  stack.push(fn);
}

export function tempDir(t: TestContext, prefix = 'ccl-'): string {
  const dir = mkdtempSync(`/tmp/${prefix}`);
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
