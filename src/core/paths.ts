import { existsSync, promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { quoteValue } from '../shared/plainText';
import { errorCode, ImageApiError } from './errors';
import { colonSegment, realVcsSegment, vcsSegment } from './vcsGuard';

/** What names a folder in messages: the host's setting, an agent tool's `folder` input, or the neutral default. */
export interface FolderField {
  /** Starts the sentence: `The assets folder`, `Input "folder"`; the host passes its setting's name. */
  readonly label: string;
  /** The `param` of the validation error. */
  readonly param: string;
}

/** The default: core names no host setting (the host passes its own, see common/config.ts assetsFolderSetting). */
export const assetsFolderField: FolderField = { label: 'The assets folder', param: 'assetsFolder' };

/** `C:\…`, `C:/…` or `\\server\share`: Windows paths, recognised on every OS so tests run anywhere. */
function isWindowsPath(p: string): boolean {
  return /^[a-zA-Z]:([\\/]|$)/.test(p) || p.startsWith('\\\\');
}

function pathApi(...paths: readonly string[]): path.PlatformPath {
  return paths.some(isWindowsPath) ? path.win32 : path.posix;
}

/** `path.dirname` with the right rules for `p` (Windows or POSIX), whatever OS we run on. */
export function dirnameOf(p: string): string {
  return pathApi(p).dirname(p);
}

/**
 * True when `p` is `root` or lies below it. Compares path segments, not string prefixes, so `/ws-old`
 * is not inside `/ws`; Windows paths compare case-insensitively as NTFS does.
 */
export function isInside(root: string, p: string): boolean {
  const api = pathApi(root, p);
  const rel = api.relative(api.resolve(root), api.resolve(p));
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + api.sep) && !api.isAbsolute(rel));
}

/**
 * The path from folder `fromDir` to `toFile` with `/` separators, as links need it: no `./` prefix,
 * `../` where needed. `undefined` when no relative path exists (another Windows drive or share).
 */
export function toPosixRelative(fromDir: string, toFile: string): string | undefined {
  const api = pathApi(fromDir, toFile);
  const rel = api.relative(api.resolve(fromDir), api.resolve(toFile));
  if (api.isAbsolute(rel)) return undefined;
  return api === path.win32 ? rel.replace(/\\/g, '/') : rel;
}

function refuse(value: string, why: string, field: FolderField): ImageApiError {
  return new ImageApiError(
    'validation',
    `${field.label} ("${value}") ${why}. Use a folder relative to the workspace folder, such as "assets".`,
    { param: field.param },
  );
}

/**
 * The absolute folder where images are saved: `assetsFolder` (the host's setting, or a folder an agent
 * named; `field` says which in messages) relative to `workspaceRoot`. `''` and `.` mean the root itself;
 * `/` and `\` both separate folders. Refuses, as a `validation` error, absolute paths, drive letters, `~` and anything that leaves the
 * root through `..`: a workspace's settings must not make us write elsewhere on disk. Purely lexical;
 * {@link resolveAssetsDirReal} also follows symlinks.
 */
export function resolveAssetsDir(workspaceRoot: string, assetsFolder: string, field = assetsFolderField): string {
  const value = assetsFolder.trim();
  if (value.includes('\0')) throw refuse(assetsFolder, 'contains a NUL character', field);
  if (value.startsWith('~')) throw refuse(assetsFolder, 'starts with "~", which is not expanded here', field);
  if (/^[a-zA-Z]:/.test(value)) throw refuse(assetsFolder, 'has a drive letter, which makes it an absolute path', field);
  if (/^[\\/]/.test(value)) throw refuse(assetsFolder, 'is an absolute path', field);
  // On Windows `.git::$INDEX_ALLOCATION` is the .git folder and `a:b` a stream of `a`: no name check holds.
  if (colonSegment(value) !== undefined) throw refuse(assetsFolder, 'has a ":" in a folder name, which Windows reads as a stream or drive name', field);
  const segments = value.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  const root = path.resolve(workspaceRoot);
  const dir = path.resolve(root, ...segments);
  if (!isInside(root, dir)) throw refuse(assetsFolder, 'points outside the workspace folder', field);
  return dir;
}

/**
 * {@link resolveAssetsDir}, then the same check on the real file system: the deepest part of the folder
 * that already exists must, with every symlink resolved, still be inside the (real) workspace root, must
 * not lead into version control metadata (`.git`, issue #12; see vcsGuard.ts), and must be a folder.
 * Parts that don't exist yet are created as plain folders when saving. Returns the lexical path, so
 * links stay relative to the paths the user sees. The engine runs it again right before a generation,
 * so a folder swapped for a link into `.git` after a confirmation showed it is refused, unbilled.
 */
export async function resolveAssetsDirReal(
  workspaceRoot: string,
  assetsFolder: string,
  field = assetsFolderField,
): Promise<string> {
  const dir = resolveAssetsDir(workspaceRoot, assetsFolder, field);
  const root = path.resolve(workspaceRoot);
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
  } catch (error) {
    throw new ImageApiError('io', `The workspace folder ${root} cannot be read (${errorCode(error) ?? 'error'}).`, {
      cause: error,
    });
  }
  let existing = dir;
  for (;;) {
    try {
      await fs.lstat(existing);
      break;
    } catch (error) {
      const code = errorCode(error);
      // ENOTDIR: a part of the path is a file; walk up to it and refuse it below.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || existing === root) {
        throw new ImageApiError('io', `Could not check the folder ${existing}: ${code ?? String(error)}.`, {
          cause: error,
        });
      }
      existing = path.dirname(existing);
    }
  }
  let real: string;
  try {
    real = await fs.realpath(existing);
  } catch {
    // lstat saw it but realpath can't follow it: a symlink to nowhere, so we can't tell where it leads.
    throw refuse(assetsFolder, `contains a broken symbolic link (${path.relative(root, existing)})`, field);
  }
  if (!isInside(realRoot, real)) {
    throw refuse(assetsFolder, `leads outside the workspace folder through a symbolic link (to ${real})`, field);
  }
  const vcs = realVcsSegment(root, dir);
  if (vcs !== undefined) {
    const how = vcsSegment(path.relative(root, dir)) === undefined ? ' through a symbolic link' : '';
    throw refuse(assetsFolder, `leads into version control metadata (${quoteValue(vcs)})${how}, where images are never saved`, field);
  }
  if (!(await fs.stat(real)).isDirectory()) {
    throw refuse(assetsFolder, `names a file, not a folder (${path.relative(root, existing)})`, field);
  }
  return dir;
}

/**
 * Synchronous check for callers that cannot wait (the Studio's localResourceRoots): does `dir`, with
 * every symlink of its deepest existing part resolved, stay inside `root`? False when it can't be told.
 */
export function staysInsideRealSync(root: string, dir: string): boolean {
  try {
    const realRoot = realpathSync(root);
    let existing = path.resolve(dir);
    while (!existsSync(existing)) {
      const parent = path.dirname(existing);
      if (parent === existing) return false;
      existing = parent;
    }
    return isInside(realRoot, realpathSync(existing));
  } catch {
    return false;
  }
}
