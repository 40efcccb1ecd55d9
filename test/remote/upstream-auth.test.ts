// The upstream token (upstream-auth): readTokenFile's checks on the file, each with its hint,
// and the headers authHeaders sends for each auth style.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { authHeaders, readTokenFile, TokenFileError } from '../../daemon/remote/upstream-auth.js';
import { tempDir } from '../helpers/temp-home.js';

function tokenFile(t: TestContext, content: string, mode = 0o600): string {
  const path = join(tempDir(t), 'remote-token');
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // whatever the umask
  return path;
}

/** Asserts readTokenFile(path) throws a TokenFileError matching `msg`, with a hint matching `hint`. */
function refused(path: string, msg: RegExp, hint: RegExp, uid?: number): void {
  assert.throws(() => (uid === undefined ? readTokenFile(path) : readTokenFile(path, uid)), (err: unknown) => {
    assert.ok(err instanceof TokenFileError, `a TokenFileError, not ${String(err)}`);
    assert.match(err.message, msg);
    assert.match(err.hint, hint);
    return true;
  });
}

test('a 0600 token file is read, surrounding whitespace and the final newline trimmed', (t) => {
  assert.equal(readTokenFile(tokenFile(t, '  sk-team-123\n')), 'sk-team-123');
  assert.equal(readTokenFile(tokenFile(t, 'sk-team-123', 0o400)), 'sk-team-123', '0400 is fine too');
});

test('a token file others can read (0644) is refused with a chmod hint', (t) => {
  const path = tokenFile(t, 'sk-team-123\n', 0o644);
  refused(path, /can be read by others \(mode 644\)/, new RegExp(`chmod 600 ${path}.*replace the token`));
});

test('a group-readable token file (0640) is refused too', (t) => {
  refused(tokenFile(t, 'sk-team-123', 0o640), /can be read by others \(mode 640\)/, /chmod 600/);
});

test('a missing token file is refused, saying how to write one or drop tokenFile', (t) => {
  const path = join(tempDir(t), 'nope');
  refused(path, new RegExp(`the remote token file ${path} does not exist`), /umask 077.*or remove tokenFile from config\.json/);
});

test('an empty (or whitespace-only) token file is refused', (t) => {
  refused(tokenFile(t, ''), /is empty/, /write the token into it/);
  refused(tokenFile(t, '  \n\n'), /is empty/, /remove tokenFile/);
});

test('a symlink is refused, even to a good 0600 file', (t) => {
  const real = tokenFile(t, 'sk-team-123');
  const link = join(tempDir(t), 'link');
  symlinkSync(real, link);
  refused(link, /is a symlink/, /point tokenFile at the file itself/);
});

test('a token file of more than one line is refused', (t) => {
  refused(tokenFile(t, 'sk-team-123\nsk-other-456\n'), /holds more than one line/, /put only the token in it/);
  refused(tokenFile(t, 'sk-team\r\n123'), /holds more than one line/, /only the token/);
});

test('a directory is refused as not a regular file', (t) => {
  const dir = join(tempDir(t), 'tokens');
  mkdirSync(dir, { mode: 0o700 });
  refused(dir, /is not a regular file/, /a file holding the token/);
});

test("a file of another user's is refused", (t) => {
  const path = tokenFile(t, 'sk-team-123');
  refused(path, /belongs to another user \(uid \d+\)/, /install -m 600/, (process.getuid?.() ?? 0) + 1);
});

test('a file far too large to be a token is refused', (t) => {
  refused(tokenFile(t, 'x'.repeat(20_000)), /is 20000 bytes; a token is one short line/, /only the token/);
});

test('authHeaders: Bearer, x-api-key, or nothing without a token or a style', () => {
  assert.deepEqual(authHeaders('bearer', 'sk-1'), { authorization: 'Bearer sk-1' });
  assert.deepEqual(authHeaders('x-api-key', 'sk-1'), { 'x-api-key': 'sk-1' });
  assert.deepEqual(authHeaders('bearer', null), {});
  assert.deepEqual(authHeaders(null, 'sk-1'), {});
});
