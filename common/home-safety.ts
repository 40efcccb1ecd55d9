// Whether $CCLOCAL_HOME is this user's alone (issue #11). The daemon runs what config.json names,
// the launcher sources attach.sh, the client trusts the socket: a home another user can write, or
// swap, lets that user run code as you. So the home (after its symlinks) must be yours and not
// writable by group or others; each symlink on the way must be yours (or root's); and each folder
// above must be yours or root's and not writable by others, unless sticky (/tmp: nobody removes
// what is not theirs). The decision is pure (judgeHome); homeFacts reads the file system.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface PathFacts {
  path: string;
  /** home: the folder itself, symlinks resolved; link: a symlink on the way to it; above: a folder above it. */
  role: 'home' | 'link' | 'above';
  uid: number;
  mode: number;
}

/** What is wrong, and what a person does about it. */
export interface HomeProblem { reason: string; fix: string }

const STICKY = 0o1000;
const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;
const OWN_FOLDER = 'set CCLOCAL_HOME to a folder of your own (the default is ~/.cclocal)';

function writers(mode: number): string | null {
  const g = (mode & 0o020) !== 0;
  const o = (mode & 0o002) !== 0;
  return g && o ? 'its group and all users' : g ? 'its group' : o ? 'all users' : null;
}

/** The first problem among the facts, or null when only `myUid` (and root) can change the home. */
export function judgeHome(facts: PathFacts[], myUid: number): HomeProblem | null {
  for (const f of facts) {
    const mine = f.uid === myUid;
    if (f.role === 'home') {
      if (!mine) return { reason: `${f.path} belongs to another user (uid ${f.uid}; you are uid ${myUid}), who could plant the files cclocal runs`, fix: OWN_FOLDER };
      const who = writers(f.mode);
      if (who) return { reason: `${f.path} is writable by ${who} (mode ${octal(f.mode)}), who could plant the files cclocal runs`, fix: `check what is in it, then \`chmod 700 ${f.path}\`; or ${OWN_FOLDER}` };
    } else if (f.role === 'link') {
      if (!mine && f.uid !== 0) return { reason: `${f.path} is a symlink that belongs to another user (uid ${f.uid}), who could point it elsewhere`, fix: OWN_FOLDER };
    } else {
      if (!mine && f.uid !== 0) return { reason: `${f.path}, a folder above the home, belongs to another user (uid ${f.uid}), who could swap the home`, fix: OWN_FOLDER };
      if ((f.mode & 0o022) !== 0 && (f.mode & STICKY) === 0) return { reason: `${f.path}, a folder above the home, is writable by ${writers(f.mode)} (mode ${octal(f.mode)}), who could swap the home`, fix: OWN_FOLDER };
    }
  }
  return null;
}

function folderChain(dir: string): string[] {
  const out: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    out.push(p);
    if (p === dirname(p)) return out;
  }
}

/** The facts judgeHome needs, or null when the home does not exist (yet). */
export function homeFacts(home: string): PathFacts[] | null {
  let real: string;
  try { real = realpathSync(home); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const fact = (path: string, role: PathFacts['role'], st = statSync(path)): PathFacts => ({ path, role, uid: st.uid, mode: st.mode });
  const facts: PathFacts[] = [fact(real, 'home')];
  const above = new Set(folderChain(dirname(real)));
  let prefix = '';
  for (const part of resolve(home).split('/').filter(Boolean)) {
    prefix += `/${part}`;
    const st = lstatSync(prefix);
    if (!st.isSymbolicLink()) continue;
    facts.push(fact(prefix, 'link', st));
    for (const d of folderChain(realpathSync(dirname(prefix)))) above.add(d);
  }
  for (const d of above) facts.push(fact(d, 'above'));
  return facts;
}

/** The home's problem for the current user, or null (also when it does not exist yet). */
export function homeProblem(home: string, myUid: number | undefined = process.getuid?.()): HomeProblem | null {
  if (myUid === undefined) return null; // no Unix users (Windows): nothing to compare
  const facts = homeFacts(home);
  return facts ? judgeHome(facts, myUid) : null;
}

/** Why a file in the home is not safe to source (a link, another user's, writable by others), or null. */
export function fileProblem(path: string, myUid: number | undefined = process.getuid?.()): string | null {
  let st;
  try { st = lstatSync(path); } catch { return null; }
  if (!st.isFile()) return `${path} is not a plain file`;
  if (myUid !== undefined && st.uid !== myUid) return `${path} belongs to another user (uid ${st.uid})`;
  const who = writers(st.mode);
  return who ? `${path} is writable by ${who} (mode ${octal(st.mode)})` : null;
}
