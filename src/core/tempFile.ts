import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorCode } from './errors';

/**
 * Our temp files: `.gpt-image-<12 hex>.tmp`, 27 bytes whatever the final name (so final names of up to
 * 255 bytes work), hidden, and named after the extension so no other tool's temp files match. Both the
 * save (save.ts) and the streaming decode of a response (api/streamingImages.ts) create them, so a crash
 * in either leaves only names that the next save's sweep recognises.
 */
export const tempPattern = /^\.gpt-image-[0-9a-f]{12}\.tmp$/;

/**
 * Creates a new, empty temp file in `dir` exclusively (`wx`) and returns its name and open handle.
 * `beforeOpen` runs right before each attempt (a folder recheck). 48 random bits: a clash is rare, and
 * only possible with a file of our own pattern; after six clashes the EEXIST is thrown.
 */
export async function createTempFile(
  dir: string,
  beforeOpen?: () => Promise<void>,
): Promise<{ readonly name: string; readonly handle: fs.FileHandle }> {
  for (let attempt = 0; ; attempt++) {
    const name = `.gpt-image-${randomBytes(6).toString('hex')}.tmp`;
    await beforeOpen?.();
    try {
      return { name, handle: await fs.open(path.join(dir, name), 'wx') };
    } catch (error) {
      if (errorCode(error) !== 'EEXIST' || attempt >= 5) throw error;
    }
  }
}

/**
 * Makes the new names durable too, where a folder can be fsynced (not on Windows). Best effort: the
 * files' own content was fsynced before they got their names.
 */
export async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}
