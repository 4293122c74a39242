import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { formatBytes } from './api/units';
import { errorCode, ImageApiError } from './errors';
import type { NamedBytes } from './editTypes';
import { maxEditImageBytes, maxMaskBytes, shownName } from './editValidate';
import { isInside } from './paths';

/** The files of an edit on disk: the first image is edited, the mask (optional) applies to it. */
export interface EditFiles {
  readonly images: readonly string[];
  readonly mask?: string;
}

/** All files of one edit together (images and mask): 16 images at the 50 MB limit would be 800 MB held at once. */
export const maxEditTotalBytes = 64 * 1024 * 1024;

/**
 * Reads the files of an edit for validateEdit. With `root` (the workspace folder) every file must
 * really lie inside it, symlinks resolved: a repository's `logo.png` linking to a photo elsewhere on
 * the disk is not uploaded. Every file is checked before any is read: it must be a regular file (a FIFO
 * or device would block a thread-pool thread on open or read forever), under its limit (50 MB an image,
 * 4 MB the mask), and all together under {@link maxEditTotalBytes}.
 */
export async function readEditFiles(files: EditFiles, root?: string): Promise<{ images: NamedBytes[]; mask?: NamedBytes }> {
  const realRoot = root === undefined ? undefined : await fs.realpath(root);
  const checked: Checked[] = [];
  for (const file of files.images) checked.push(await checkEditFile(file, maxEditImageBytes, 'images', realRoot));
  if (files.mask !== undefined) checked.push(await checkEditFile(files.mask, maxMaskBytes, 'mask', realRoot));
  const total = checked.reduce((sum, file) => sum + file.size, 0);
  if (total > maxEditTotalBytes) {
    throw new ImageApiError('validation', `The files of this edit are ${formatBytes(total)} together; an edit takes at most ${formatBytes(maxEditTotalBytes)} in all. Use fewer or smaller reference images.`, {
      param: 'images',
    });
  }
  const read: NamedBytes[] = [];
  for (const file of checked) read.push(await readChecked(file));
  const mask = files.mask === undefined ? undefined : read.pop();
  return { images: read, ...(mask && { mask }) };
}

interface Checked {
  readonly file: string;
  readonly real: string;
  readonly size: number;
  readonly dev: number;
  readonly ino: number;
  readonly what: string;
  readonly fail: (message: string, cause?: unknown) => ImageApiError;
}

/** `O_NONBLOCK`: opening a FIFO swapped in after the check returns at once instead of waiting for a writer. */
const openFlags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0);

async function checkEditFile(file: string, maxBytes: number, param: 'images' | 'mask', realRoot: string | undefined): Promise<Checked> {
  const shown = shownName(file);
  const what = param === 'mask' ? `The mask ${shown}` : shown;
  const fail = (message: string, cause?: unknown): ImageApiError => new ImageApiError('validation', message, { param, cause });
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch (error) {
    throw fail(`${what} cannot be read: ${errorCode(error) === 'ENOENT' ? 'it does not exist' : String((error as Error).message)}.`, error);
  }
  if (realRoot !== undefined && !isInside(realRoot, real)) {
    throw fail(`${what} links to a file outside the workspace folder, which is not sent; copy the image into the workspace to edit it.`);
  }
  const stats = await fs.lstat(real).catch((error: unknown) => {
    throw fail(`${what} cannot be read (${errorCode(error) ?? String(error)}).`, error);
  });
  if (!stats.isFile()) throw fail(`${what} is not a regular file (${kindOf(stats)}); give the path of an image file.`);
  if (stats.size >= maxBytes) {
    throw fail(`${what} is ${formatBytes(stats.size)}; ${param === 'mask' ? 'a mask' : 'each image of an edit'} must be under ${formatBytes(maxBytes)}.`);
  }
  return { file, real, size: stats.size, dev: stats.dev, ino: stats.ino, what, fail };
}

async function readChecked(checked: Checked): Promise<NamedBytes> {
  const { what, fail } = checked;
  const handle = await fs.open(checked.real, openFlags).catch((error: unknown) => {
    throw fail(`${what} cannot be read (${errorCode(error) ?? String(error)}).`, error);
  });
  try {
    const stats = await handle.stat();
    // Swapped between the check and the open (for a FIFO, a device, another file): not read.
    if (!stats.isFile() || stats.dev !== checked.dev || stats.ino !== checked.ino) throw fail(`${what} changed while it was read; try again.`);
    // At most the size checked: a file that grows while it is read still cannot bring more.
    const bytes = Buffer.alloc(Math.min(stats.size, checked.size));
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { name: path.basename(checked.file), bytes: bytes.subarray(0, filled) };
  } finally {
    await handle.close();
  }
}

function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a file';
}
