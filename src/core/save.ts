import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorCode, ImageApiError } from './errors';
import { maxNameAttempts, nextCandidate } from './naming';

export interface SaveImagesOptions {
  /** Absolute folder; created (recursively) when missing. */
  readonly dir: string;
  /** Wished-for file names, one per image; taken names get `-1`, `-2`… */
  readonly names: readonly string[];
  readonly images: readonly Uint8Array[];
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

// link() is missing on some file systems (FAT, exFAT, some network and FUSE mounts).
const linkUnsupported = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS']);

function ioError(dir: string, error: unknown): ImageApiError {
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

async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/**
 * Writes each image to `dir` under its name, or `-1`, `-2`… when the name is taken, and returns the
 * absolute paths in order. Never overwrites, even with other savers racing in the same folder: the bytes
 * go to a hidden temp file first, are fsynced, and are then hard-linked to the final name, which fails
 * with EEXIST instead of replacing anything, so a file appears complete or not at all. Where hard links
 * are unsupported, the final name is created exclusively (`wx`) and written in place.
 *
 * All or nothing: when a write fails or `signal` aborts, the files this call created and every temp file
 * are removed, then an `ImageApiError` is thrown (`cancelled`, or `io` with the folder and the cause).
 */
export async function saveImages(options: SaveImagesOptions): Promise<string[]> {
  const { dir, names, images, signal } = options;
  if (names.length !== images.length) {
    throw new ImageApiError('validation', `Got ${images.length} images but ${names.length} file names.`, {
      param: 'names',
    });
  }
  names.forEach(checkName);
  const saved: string[] = [];
  const temps = new Set<string>();
  let useLinks = true;
  try {
    checkSignal(signal);
    await fs.mkdir(dir, { recursive: true });
    for (let k = 0; k < images.length; k++) {
      checkSignal(signal);
      const bytes = images[k];
      let temp: string | undefined;
      if (useLinks) {
        temp = path.join(dir, `.${names[k]}.${randomBytes(6).toString('hex')}.tmp`);
        temps.add(temp);
        await writeExclusive(temp, bytes, signal);
      }
      let final: string | undefined;
      for (let i = 0; i < maxNameAttempts && final === undefined; i++) {
        checkSignal(signal);
        const candidate = path.join(dir, nextCandidate(names[k], i));
        if (temp !== undefined) {
          try {
            await fs.link(temp, candidate);
            final = candidate;
          } catch (error) {
            const code = errorCode(error);
            if (code === 'EEXIST') continue;
            if (!linkUnsupported.has(code ?? '')) throw error;
            useLinks = false;
            await removeQuietly(temp);
            temps.delete(temp);
            temp = undefined;
            i--; // retry this candidate the other way
          }
        } else if (await tryCreate(candidate, bytes, signal, saved)) {
          final = candidate;
        }
      }
      if (final === undefined) {
        const tried = `${names[k]} and its next ${maxNameAttempts - 1} alternatives`;
        throw new ImageApiError('io', `Could not save images to ${dir}: ${tried} are all taken.`);
      }
      if (temp !== undefined) {
        saved.push(final);
        await fs.unlink(temp);
        temps.delete(temp);
      }
    }
    // A cancel that arrives during the last write still means "no files", like every earlier one.
    checkSignal(signal);
    return saved;
  } catch (error) {
    await Promise.all([...saved, ...temps].map(removeQuietly));
    throw ioError(dir, error);
  }
}

/** Creates `file`, failing if it exists, and writes and fsyncs `bytes`; a partial file is removed. */
async function writeExclusive(file: string, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    checkSignal(signal);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeQuietly(file);
    throw error;
  }
  await handle.close();
}

/**
 * The fallback without hard links: false when `file` is taken; otherwise writes it and records it in
 * `saved` as soon as it exists, so a failure half-way through still cleans it up.
 */
async function tryCreate(
  file: string,
  bytes: Uint8Array,
  signal: AbortSignal | undefined,
  saved: string[],
): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  saved.push(file);
  try {
    await handle.writeFile(bytes);
    checkSignal(signal);
    await handle.sync();
  } finally {
    await handle.close().catch(() => undefined);
  }
  return true;
}
