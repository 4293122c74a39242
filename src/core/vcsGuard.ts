import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Agent tools never read or write version control metadata (issue #12): a `.git` folder holds hooks
 * and config that run code. Checked twice: lexically on the path the agent sent ({@link vcsSegment}),
 * and on the real path ({@link realVcsSegment}), so a symlinked folder leading into `.git` is caught too.
 */

/** Version control metadata folders (any letter case; Windows drops trailing dots and spaces, and has 8.3 names). */
const vcsFolders = new Set(['.git', 'git~1', '.hg', 'hg~1', '.svn', 'svn~1', '.bzr', 'bzr~1', '_darcs', '.jj', '.pijul', '.fossil']);

function isVcsSegment(segment: string): boolean {
  return vcsFolders.has(segment.replace(/[. ]+$/, '').toLowerCase()) || vcsFolders.has(segment.toLowerCase());
}

/** The first segment of `value` (split at `/` and `\`) that names version control metadata. */
export function vcsSegment(value: string): string | undefined {
  return value.split(/[\\/]+/).find(isVcsSegment);
}

/**
 * The first segment of `value` with a `:` in it, other than a leading drive letter (`C:`): on Windows a
 * colon mid-path names an alternate data stream (`.git::$INDEX_ALLOCATION` is the `.git` folder) or
 * another drive, so no lexical check of the name can be trusted.
 */
export function colonSegment(value: string): string | undefined {
  return value.split(/[\\/]+/).find((segment, i) => segment.includes(':') && !(i === 0 && /^[a-zA-Z]:$/.test(segment)));
}

/**
 * The version control segment `absolute` really leads into, with every symlink of its deepest existing
 * part resolved (the parts that don't exist yet are taken as written), relative to the real `root`;
 * undefined when there is none. A dangling link (`a -> .git/new`) is followed to where it points, since a
 * recursive mkdir through it would create its target. When the path cannot be resolved (a link loop),
 * its lexical segments decide.
 */
export function realVcsSegment(root: string, absolute: string): string | undefined {
  let real: string | undefined;
  let realRoot: string;
  try {
    real = realPathAsFarAsItGoes(path.resolve(absolute), 0);
    realRoot = realpathSync(root);
  } catch {
    real = undefined;
    realRoot = path.resolve(root);
  }
  if (real === undefined) return vcsSegment(path.relative(path.resolve(root), path.resolve(absolute)));
  const relative = path.relative(realRoot, real);
  // Outside the root (`..`, `../x`; not a folder named `..foo`): the whole real path decides.
  return vcsSegment(/^\.\.(?:[\\/]|$)/.test(relative) || path.isAbsolute(relative) ? real : relative);
}

/** Links followed before giving up, as the OS does (Linux: 40). */
const maxLinks = 40;

/** `absolute` with its existing part's links resolved, dangling ones followed; undefined on a loop. */
function realPathAsFarAsItGoes(absolute: string, linksFollowed: number): string | undefined {
  let existing = absolute;
  const rest: string[] = [];
  // lstat, not exists: a dangling link exists as a link although its target does not.
  while (!present(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  try {
    return path.join(realpathSync(existing), ...rest);
  } catch {
    // realpath fails on a dangling link (or a loop): follow it one step by hand, from its real parent.
    if (linksFollowed >= maxLinks || !lstatSync(existing).isSymbolicLink()) return undefined;
    const target = path.resolve(realpathSync(path.dirname(existing)), readlinkSync(existing));
    return realPathAsFarAsItGoes(path.join(target, ...rest), linksFollowed + 1);
  }
}

function present(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
