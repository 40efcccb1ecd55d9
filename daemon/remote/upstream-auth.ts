// The upstream's token, on the upstream hop only: Bearer (vLLM's --api-key, SGLang, llama-server,
// LiteLLM) or x-api-key (Anthropic-shaped gateways), whichever the upstream does not refuse.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:fs';

export type AuthStyle = 'bearer' | 'x-api-key';

export function authHeaders(style: AuthStyle | null, token: string | null): Record<string, string> {
  if (token === null || style === null) return {};
  return style === 'bearer' ? { authorization: `Bearer ${token}` } : { 'x-api-key': token };
}

/** A token longer than this is not a token (a key pasted with a certificate, a wrong file). */
const MAX_TOKEN_BYTES = 16 * 1024;

export class TokenFileError extends Error {
  constructor(message: string, readonly hint: string) { super(message); }
}

/** The token in `path`: the file must be a regular file of this user's that nobody else can read
 *  (mode 0600), one line. Opened without following a symlink's swap after the check. */
export function readTokenFile(path: string, uid: number | null = process.getuid?.() ?? null): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TokenFileError(`the remote token file ${path} does not exist`, `write the upstream's token into it (\`umask 077; printf %s "$TOKEN" > ${path}\`), or remove tokenFile from config.json`);
    if (code === 'ELOOP') throw new TokenFileError(`the remote token file ${path} is a symlink`, 'point tokenFile at the file itself');
    throw new TokenFileError(`cannot read the remote token file ${path} (${code ?? (err as Error).message})`, `make it readable by you: \`chmod 600 ${path}\``);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TokenFileError(`the remote token file ${path} is not a regular file`, 'point tokenFile at a file holding the token');
    if (uid !== null && st.uid !== uid) throw new TokenFileError(`the remote token file ${path} belongs to another user (uid ${st.uid})`, `copy the token into a file of your own: \`install -m 600 ${path} ~/.cclocal/remote-token\``);
    if ((st.mode & 0o077) !== 0) throw new TokenFileError(`the remote token file ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)})`, `\`chmod 600 ${path}\`, and replace the token if others may have read it`);
    if (st.size > MAX_TOKEN_BYTES) throw new TokenFileError(`the remote token file ${path} is ${st.size} bytes; a token is one short line`, 'put only the token in it');
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) { const r = readSync(fd, buf, n, st.size - n, n); if (r === 0) break; n += r; }
    const token = buf.subarray(0, n).toString('utf8').trim();
    if (!token) throw new TokenFileError(`the remote token file ${path} is empty`, 'write the token into it, or remove tokenFile from config.json');
    if (/[\r\n\0]/.test(token)) throw new TokenFileError(`the remote token file ${path} holds more than one line`, 'put only the token in it');
    return token;
  } finally {
    closeSync(fd);
  }
}
