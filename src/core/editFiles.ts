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

/**
 * Reads the files of an edit for validateEdit. With `root` (the workspace folder) every file must
 * really lie inside it, symlinks resolved: a repository's `logo.png` linking to a photo elsewhere on
 * the disk is not uploaded. A file at or over its limit (50 MB an image, 4 MB the mask) is refused
 * from its size before it is read.
 */
export async function readEditFiles(files: EditFiles, root?: string): Promise<{ images: NamedBytes[]; mask?: NamedBytes }> {
  const realRoot = root === undefined ? undefined : await fs.realpath(root);
  const images: NamedBytes[] = [];
  for (const file of files.images) images.push(await readEditFile(file, maxEditImageBytes, 'images', realRoot));
  const mask = files.mask === undefined ? undefined : await readEditFile(files.mask, maxMaskBytes, 'mask', realRoot);
  return { images, ...(mask && { mask }) };
}

async function readEditFile(file: string, maxBytes: number, param: 'images' | 'mask', realRoot: string | undefined): Promise<NamedBytes> {
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
  const handle = await fs.open(real, 'r').catch((error: unknown) => {
    throw fail(`${what} cannot be read (${errorCode(error) ?? String(error)}).`, error);
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw fail(`${what} is not a file.`);
    if (stats.size >= maxBytes) {
      throw fail(`${what} is ${formatBytes(stats.size)}; ${param === 'mask' ? 'a mask' : 'each image of an edit'} must be under ${formatBytes(maxBytes)}.`);
    }
    // At most the limit: a file that grows while it is read still cannot bring more.
    const bytes = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { name: path.basename(file), bytes: bytes.subarray(0, filled) };
  } finally {
    await handle.close();
  }
}
