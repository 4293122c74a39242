import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorCode, ImageApiError } from './errors';
import { prepareFolder, type ReadyFolder } from './folder';
import { maxNameAttempts, nextCandidate } from './naming';
import { createTempFile, syncFolder, tempPattern } from './tempFile';

export { tempPattern };

/**
 * An image already on disk: a complete, fsynced temp file of ours (see api/streamingImages.ts). Saving
 * adopts it (moved into the folder under a fresh temp name if it lies elsewhere) instead of writing bytes.
 */
export interface TempImageFile {
  readonly tempFile: string;
}

export interface SaveImagesOptions {
  /** Absolute folder; missing parts are created one level at a time (see prepareFolder). */
  readonly dir: string;
  /**
   * The folder the images must stay inside, symlinks resolved: the workspace folder. Checked after the
   * missing folders are created; before each file is created, linked or renamed, `dir` must still lead
   * where it did then. Without it (a save-dialog target) only that second check applies.
   */
  readonly root?: string;
  /** Wished-for file names, one per image; taken names get `-1`, `-2`… */
  readonly names: readonly string[];
  /** The bytes, or a temp file holding them; a temp file is consumed (placed, or removed on failure). */
  readonly images: readonly (Uint8Array | TempImageFile)[];
  readonly signal?: AbortSignal;
}

// Readable causes for the errors a user can do something about; anything else shows its own message.
const ioReasons: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder is in the way',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
  ENOENT: 'no such file or folder',
  EBUSY: 'resource busy or locked',
};

// link() is missing on some file systems (FAT, exFAT, some network and FUSE mounts). On Windows those
// answer CreateHardLink with ERROR_INVALID_FUNCTION, which libuv reports as EISDIR; link() itself never
// means EISDIR (a folder in the way of the new name is EEXIST).
const linkUnsupported = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EISDIR']);

/** An `io` ImageApiError naming the folder and a readable cause (ENOSPC → "no space left on device"). */
export function ioError(dir: string, error: unknown): ImageApiError {
  if (error instanceof ImageApiError) return error;
  const code = errorCode(error);
  const reason = code
    ? `${ioReasons[code] ?? (error as Error).message} (${code})`
    : error instanceof Error
      ? error.message
      : String(error);
  return new ImageApiError('io', `Could not save images to ${dir}: ${reason}`, { code, cause: error });
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ImageApiError('cancelled', 'Saving the images was cancelled.');
}

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[\\/\0]/.test(name)) {
    throw new ImageApiError('validation', `"${name}" is not a valid file name.`, { param: 'names' });
  }
}

/** A temp file this old is a crash's leftover: no save takes an hour between writing it and linking it. */
export const staleTempMs = 60 * 60 * 1000;

/**
 * Hard link support, decided once per folder (by its real path) the first time a link is tried: later
 * saves go straight to the right way, and no image is ever written twice to find out.
 */
const linkSupport = new Map<string, boolean>();

async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/**
 * Writes each image to `dir` under its name, or `-1`, `-2`… when the name is taken, and returns the
 * absolute paths (below `dir` as given) in order. Never overwrites, even with other savers racing in
 * the same folder, and a file appears complete or not at all, even if the process is killed:
 *
 * - Each image is first written to a short hidden temp file (`.gpt-image-<12 hex>.tmp`) and fsynced.
 * - Where hard links work, the temp file is linked to the final name. link() fails with EEXIST rather
 *   than replacing anything, so it is an exclusive create that brings its complete content with it:
 *   nothing is ever visible under the final name before it is whole. A crash leaves at worst the hidden
 *   temp file, which the next save in that folder sweeps once it is an hour old.
 * - Without hard links (FAT, exFAT, some network and FUSE mounts), the final name is reserved with an
 *   exclusive create (`wx`, an empty file) only once the temp file is complete, and the temp file is
 *   renamed over it (rename replaces atomically on POSIX and via MoveFileEx on Windows). The reservation
 *   keeps the never-overwrite promise; doing it last means a crash leaves an empty file, never a
 *   truncated image, and only in the instant between two system calls. Links are preferred where they
 *   work because they have no such instant at all.
 *
 * With `root`, the folder must stay inside it (symlinks resolved); before every file operation the
 * folder is checked again, so swapping it for a symlink during a long request writes nothing elsewhere.
 *
 * All or nothing: when a write fails or `signal` aborts, the files this call created and its temp files
 * are removed, then an `ImageApiError` is thrown (`cancelled`, or `io` with the folder and the cause).
 */
export async function saveImages(options: SaveImagesOptions): Promise<string[]> {
  const { dir, root, names, images, signal } = options;
  if (names.length !== images.length) {
    throw new ImageApiError('validation', `Got ${images.length} images but ${names.length} file names.`, {
      param: 'names',
    });
  }
  names.forEach(checkName);
  // Names (not paths) of what this call created, removed again on failure.
  const saved: string[] = [];
  const temps = new Set<string>();
  let folder: ReadyFolder | undefined;
  try {
    checkSignal(signal);
    folder = await prepareFolder(dir, root);
    await sweepStaleTemps(folder);
    for (const [k, image] of images.entries()) {
      checkSignal(signal);
      const name = names[k]!; // as many names as images: checked above
      const temp = isTempImage(image) ? await adoptTemp(folder, image.tempFile, temps) : await writeTemp(folder, image, signal, temps);
      // Ours from here: placed below, or removed with the rest on failure.
      if (isTempImage(image)) heldTemps.delete(image.tempFile);
      const final = await placeTemp(folder, temp, name, signal, saved);
      if (final === undefined) {
        const tried = `${name} and its next ${maxNameAttempts - 1} alternatives`;
        throw new ImageApiError('io', `Could not save images to ${dir}: ${tried} are all taken.`);
      }
      temps.delete(temp);
    }
    await syncFolder(folder.real);
    // A cancel that arrives during the last write still means "no files", like every earlier one.
    checkSignal(signal);
    return saved.map((name) => path.join(dir, name));
  } catch (error) {
    if (folder) await removeAll(folder, [...saved, ...temps]);
    throw ioError(dir, error);
  }
}

/**
 * Writes `bytes` to a new hidden temp file in `dir` (created as for saveImages, inside `root`) and
 * fsyncs it, for a file that must exist before it may have its name: the Studio's painted mask waits
 * there until its edit succeeds, then saveImages places it. A host killed in between leaves only a temp
 * name the next save's sweep removes; a failure here removes the partial file.
 */
export async function writeTempImage(dir: string, bytes: Uint8Array, root?: string): Promise<TempImageFile> {
  let folder: ReadyFolder | undefined;
  const temps = new Set<string>();
  try {
    folder = await prepareFolder(dir, root);
    const name = await writeTemp(folder, bytes, undefined, temps);
    const tempFile = path.join(folder.real, name);
    heldTemps.set(tempFile, folder);
    return { tempFile };
  } catch (error) {
    if (folder) await removeAll(folder, [...temps]);
    throw ioError(dir, error);
  }
}

/**
 * Temp files {@link writeTempImage} made that are neither placed by saveImages nor discarded yet, with
 * their folder: the sweep leaves them however long their edit takes (an edit may run for hours through
 * retries and a confirmation nobody answers), so a save in the same folder cannot delete a live one.
 */
const heldTemps = new Map<string, ReadyFolder>();

/**
 * Removes a temp file from {@link writeTempImage} that will not be placed; nothing if saveImages took it
 * already. Like every removal here, only while its folder still leads where it did (not through a link).
 */
export async function discardTempImage(temp: TempImageFile): Promise<void> {
  const folder = heldTemps.get(temp.tempFile);
  if (!folder) return;
  heldTemps.delete(temp.tempFile);
  await removeAll(folder, [path.basename(temp.tempFile)]);
}

/**
 * Removes our files again, but only while the folder is still where it was: if it was replaced by a
 * link, the same names now lead elsewhere, possibly to someone else's files.
 */
async function removeAll(folder: ReadyFolder, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  try {
    await folder.recheck();
  } catch {
    return;
  }
  await Promise.all(names.map((name) => removeQuietly(path.join(folder.real, name))));
}

/**
 * Deletes temp files that a crash of ours left behind. Never fails a save. A name proves nothing (a
 * repository or another user can create `.gpt-image-….tmp` too), so a file goes only when all of these
 * hold, and otherwise stays, untidy but harmless:
 *
 * - its name matches {@link tempPattern} exactly, and it is a regular file (not a folder or symlink);
 * - it has one name only: a second hard link means the data is someone's file too (or the image a crash
 *   left linked but not yet unlinked), and removing a name frees nothing then anyway;
 * - it belongs to the user running VS Code, where the platform has user ids (not on Windows): never
 *   another user's file in a shared folder;
 * - it was last written and last changed (mtime and ctime) {@link staleTempMs} or more ago. The ctime
 *   cannot be set back by `touch`, git, tar or unzip, so a file just checked out or unpacked is never
 *   taken for an old one, whatever mtime it came with.
 */
async function sweepStaleTemps(folder: ReadyFolder): Promise<void> {
  try {
    const stale = (await fs.readdir(folder.real)).filter((name) => tempPattern.test(name));
    if (stale.length === 0) return;
    await folder.recheck();
    const now = Date.now();
    const uid = process.getuid?.();
    for (const name of stale) {
      const file = path.join(folder.real, name);
      if (heldTemps.has(file)) continue;
      const stats = await fs.lstat(file).catch(() => undefined);
      if (!stats?.isFile() || stats.nlink !== 1) continue;
      if (uid !== undefined && stats.uid !== uid) continue;
      if (now - Math.max(stats.mtimeMs, stats.ctimeMs) < staleTempMs) continue;
      await removeQuietly(file);
    }
  } catch {
    // Leftovers are untidy, not harmful: the save goes on.
  }
}

/** Creates a new temp file, writes and fsyncs `bytes`; returns its name. A partial file is removed. */
async function writeTemp(
  folder: ReadyFolder,
  bytes: Uint8Array,
  signal: AbortSignal | undefined,
  temps: Set<string>,
): Promise<string> {
  const { name, handle } = await createTempFile(folder.real, () => folder.recheck());
  temps.add(name);
  try {
    await handle.writeFile(bytes);
    checkSignal(signal);
    await handle.sync();
  } finally {
    await handle.close().catch(() => undefined);
  }
  return name;
}

function isTempImage(image: Uint8Array | TempImageFile): image is TempImageFile {
  return typeof (image as TempImageFile).tempFile === 'string';
}

/**
 * Takes over a complete temp file (already fsynced by whoever wrote it): used where it is when it lies in
 * the folder, otherwise moved there under a fresh temp name (a rename; a copy and fsync across file
 * systems). Returns its name in the folder, recorded in `temps` so a failure removes it.
 */
async function adoptTemp(folder: ReadyFolder, file: string, temps: Set<string>): Promise<string> {
  const name = path.basename(file);
  if (path.dirname(file) === folder.real && tempPattern.test(name)) {
    temps.add(name);
    return name;
  }
  const { name: moved, handle } = await createTempFile(folder.real, () => folder.recheck());
  temps.add(moved);
  const target = path.join(folder.real, moved);
  try {
    await folder.recheck();
    await fs.rename(file, target);
  } catch (error) {
    if (errorCode(error) !== 'EXDEV') throw error;
    await fs.copyFile(file, target);
    await handle.sync();
    await removeQuietly(file);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return moved;
}

/**
 * Gives the complete temp file its final name: `name`, or the first free `-1`, `-2`… Returns the name
 * used (recorded in `saved` as soon as it exists), or undefined when all candidates are taken. The temp
 * name is gone afterwards unless it failed.
 */
async function placeTemp(
  folder: ReadyFolder,
  temp: string,
  name: string,
  signal: AbortSignal | undefined,
  saved: string[],
): Promise<string | undefined> {
  const tempPath = path.join(folder.real, temp);
  for (let i = 0; i < maxNameAttempts; i++) {
    checkSignal(signal);
    const candidate = nextCandidate(name, i);
    const target = path.join(folder.real, candidate);
    await folder.recheck();
    if (linkSupport.get(folder.real) !== false) {
      try {
        await fs.link(tempPath, target);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EEXIST') continue;
        if (!linkUnsupported.has(code ?? '')) throw error;
        linkSupport.set(folder.real, false); // and on to the reservation, with the same temp file
      }
      if (linkSupport.get(folder.real) !== false) {
        linkSupport.set(folder.real, true);
        saved.push(candidate);
        await folder.recheck();
        // The image is saved; a temp name we fail to remove is swept by a later save, not worth failing this one.
        await fs.unlink(tempPath).catch(() => undefined);
        return candidate;
      }
    }
    if (!(await reserve(target))) continue;
    saved.push(candidate);
    await folder.recheck();
    await fs.rename(tempPath, target);
    return candidate;
  }
  return undefined;
}

/** Creates `file` empty and exclusively; false when the name is taken. */
async function reserve(file: string): Promise<boolean> {
  try {
    await (await fs.open(file, 'wx')).close();
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}
