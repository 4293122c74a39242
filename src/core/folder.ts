import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorCode, ImageApiError } from './errors';
import { quoteValue } from '../shared/plainText';
import { isInside } from './paths';
import { vcsSegment } from './vcsGuard';

/**
 * A folder made ready for saving: `real` is its path with every symlink resolved, as it was once the
 * folder existed. File operations go through `real`, and {@link recheck} must be awaited right before
 * each one, so a folder swapped for a symlink while we work is caught instead of written through.
 */
export interface ReadyFolder {
  /** The folder as the caller named it; what messages and returned paths show. */
  readonly shown: string;
  readonly real: string;
  /** Throws an `io` ImageApiError when `real` no longer leads to itself (a part was replaced by a symlink). */
  recheck(): Promise<void>;
}

function posixError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function escaped(shown: string, what: string, real: string, where: string): ImageApiError {
  return new ImageApiError(
    'io',
    `Could not save images to ${shown}: ${what} leads outside ${where} through a symbolic link (to ${real}), so nothing was written there.`,
  );
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (error) {
    const code = errorCode(error);
    // ENOTDIR: a part of the path is a file; the caller walks up to it and reports it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Makes sure `dir` exists as a folder that, with symlinks resolved, lies inside `root` (the workspace
 * folder), and returns it ready for saving. Without `root`, the deepest part of `dir` that exists now
 * is the boundary (a folder the user picked in a save dialog), so only the parts created here are held
 * to it.
 *
 * Why not `mkdir -p`: it follows symlinks, so an assets folder (or a parent missing when the folder was
 * checked before a minutes-long request) replaced by a link in the meantime would make us create folders
 * and write images outside the workspace. Here missing parts are created one level at a time, each in
 * the real path of its parent just re-checked, and every part, old or new, must resolve inside the
 * boundary and, with `root`, outside version control metadata (a link into `.git` swapped in while the
 * request ran; vcsGuard.ts names the folders). Node has no openat()/O_NOFOLLOW for folders, so a swap in the microseconds between a check
 * and the system call after it cannot be excluded; every other moment is covered.
 */
export async function prepareFolder(dir: string, root?: string): Promise<ReadyFolder> {
  const target = path.resolve(dir);
  let boundary: string;
  if (root !== undefined) {
    boundary = path.resolve(root);
    if (!isInside(boundary, target)) {
      throw new ImageApiError('validation', `The folder ${dir} is not inside ${root}.`, { param: 'dir' });
    }
  } else {
    boundary = target;
    while ((await lstatOrUndefined(boundary)) === undefined && path.dirname(boundary) !== boundary) {
      boundary = path.dirname(boundary);
    }
  }
  const where = root !== undefined ? 'the workspace folder' : `the folder ${boundary}`;
  let real: string;
  try {
    real = await fs.realpath(boundary);
  } catch (error) {
    if (root === undefined) throw error;
    throw new ImageApiError('io', `The workspace folder ${boundary} cannot be read (${errorCode(error) ?? 'error'}).`, {
      cause: error,
    });
  }
  const realBoundary = real;
  if (!(await fs.stat(real)).isDirectory()) {
    throw posixError('ENOTDIR', `${boundary} is not a folder`);
  }
  for (const segment of path.relative(boundary, target).split(path.sep).filter((s) => s !== '')) {
    await expectItself(real, dir);
    const next = path.join(real, segment);
    // Nor into .git (issue #12), by name before anything is made, and by real path below.
    if (root !== undefined) refuseVcs(dir, next, realBoundary, next);
    try {
      await fs.mkdir(next); // not recursive: never creates anything below a link
    } catch (error) {
      // EEXIST: it exists already, maybe made a moment ago by a concurrent save; judged below like any.
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const stats = await fs.lstat(next);
    if (!stats.isDirectory() && !stats.isSymbolicLink()) throw posixError('ENOTDIR', `${next} is not a folder`);
    let resolved: string;
    try {
      resolved = await fs.realpath(next);
    } catch (error) {
      if (!stats.isSymbolicLink()) throw error;
      throw new ImageApiError('io', `Could not save images to ${dir}: ${next} is a broken symbolic link.`, {
        cause: error,
      });
    }
    // A link that stays inside is fine (resolveAssetsDirReal allows it too); one leading out is not.
    if (!isInside(realBoundary, resolved)) throw escaped(dir, next, resolved, where);
    if (root !== undefined) refuseVcs(dir, next, realBoundary, resolved);
    if (!(await fs.stat(resolved)).isDirectory()) throw posixError('ENOTDIR', `${next} is not a folder`);
    real = resolved;
  }
  const realDir = real;
  return { shown: dir, real: realDir, recheck: () => expectItself(realDir, dir) };
}

/** `resolved` (the real path of `part`) must not lie in version control metadata below the real workspace root. */
function refuseVcs(shown: string, part: string, realRoot: string, resolved: string): void {
  const vcs = vcsSegment(path.relative(realRoot, resolved));
  if (vcs === undefined) return;
  throw new ImageApiError(
    'io',
    `Could not save images to ${shown}: ${part} leads into version control metadata (${quoteValue(vcs)}), where images are never saved, so nothing was written there.`,
  );
}

/** `real` must still be its own real path: no part of it has been replaced by a symlink since. */
async function expectItself(real: string, shown: string): Promise<void> {
  let now: string;
  try {
    now = await fs.realpath(real);
  } catch (error) {
    throw new ImageApiError(
      'io',
      `Could not save images to ${shown}: the folder was moved or removed while saving (${errorCode(error) ?? 'error'}).`,
      { cause: error },
    );
  }
  if (now !== real) {
    throw new ImageApiError(
      'io',
      `Could not save images to ${shown}: the folder was replaced while saving and now leads to ${now}, so nothing was written there.`,
    );
  }
}
