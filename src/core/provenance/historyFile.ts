import * as fs from 'node:fs/promises';
import { constants } from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../paths';
import type { UncheckedOptions } from '../../shared/options';

/** `<assetsFolder>/.gpt-image-history.jsonl`: one generation per line, committed with the images (issue #15 §4). */
export const historyFileName = '.gpt-image-history.jsonl';
/** Only the newest part of a history file is read: a 1 GB file costs 4 MB. */
export const maxHistoryReadBytes = 4 * 1024 * 1024;
export const maxHistoryRecords = 500;
/** A line longer than this (32,000-character prompts fit) is not ours and is skipped. */
export const maxLineBytes = 256 * 1024;

/** One line of the history file. Paths are POSIX and relative to the workspace folder. */
export interface SharedHistoryRecord {
  readonly v: 1;
  readonly id: string;
  readonly prompt: string;
  readonly model: string;
  /** As read from the file: every field present, short strings not checked against the vocabulary. */
  readonly options: UncheckedOptions;
  readonly files: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly requestId?: string;
  readonly usage?: { readonly totalTokens?: number; readonly inputTokens?: number; readonly outputTokens?: number };
  readonly cost?: { readonly usd: number; readonly basis: 'usage' | 'estimate' };
  readonly parents?: readonly string[];
}

/**
 * Appends one record as one line. JSON escapes line breaks (and U+2028/9 are escaped too), so no prompt
 * can break the one-line-per-record shape. Safe in a hostile repository: the file is opened with
 * O_APPEND in one write (concurrent appenders cannot interleave inside a line), never through a
 * symbolic link (O_NOFOLLOW, and an lstat check where that flag is missing), and only when it is a
 * regular file with one link, so a history file hard-linked or linked to `~/.bashrc` gets nothing.
 */
export async function appendHistoryRecord(dir: string, record: SharedHistoryRecord): Promise<void> {
  const line = `${JSON.stringify(record).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`;
  const file = path.join(dir, historyFileName);
  const existing = await fs.lstat(file).catch(() => undefined);
  if (existing && (!existing.isFile() || existing.nlink !== 1)) {
    throw new Error(`${file} is not a plain file (a link or a folder); nothing was appended`);
  }
  const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
  const handle = await fs.open(file, flags, 0o644);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.nlink !== 1) throw new Error(`${file} is not a plain file; nothing was appended`);
    // A file that does not end with a line break (a crash mid-write, a hand edit) gets one first.
    const start = stats.size > 0 ? Buffer.alloc(1) : undefined;
    if (start) await handle.read(start, 0, 1, stats.size - 1);
    const text = start && start[0] !== 0x0a ? `\n${line}` : line;
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

/**
 * The records of a workspace folder's history file, oldest first, read as untrusted: the file must be
 * a regular file inside `root` (symlinks resolved), only its last {@link maxHistoryReadBytes} are read,
 * every line is validated, and every file path must be relative, without `..`, and resolve (symlinks
 * too) inside `root`; a record with any other path is dropped whole. [] when there is no file.
 */
export async function readHistoryRecords(dir: string, root: string): Promise<SharedHistoryRecord[]> {
  const file = path.join(dir, historyFileName);
  const stats = await fs.lstat(file).catch(() => undefined);
  if (!stats?.isFile()) return [];
  const realRoot = await fs.realpath(root);
  if (!isInside(realRoot, await fs.realpath(file))) return [];
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  let text: string;
  try {
    const size = (await handle.stat()).size;
    const length = Math.min(size, maxHistoryReadBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    text = buffer.toString('utf8');
    // Started in the middle of a line: that line is not whole.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    await handle.close();
  }
  const records: SharedHistoryRecord[] = [];
  for (const line of text.split('\n').slice(-maxHistoryRecords * 2)) {
    if (line.trim() === '' || Buffer.byteLength(line) > maxLineBytes) continue;
    const record = parseRecord(line);
    if (record && (await filesInside(record.files, realRoot))) records.push(record);
  }
  return records.slice(-maxHistoryRecords);
}

/** A relative POSIX path with no `..`, no backslash, no drive, no control or bidi characters (they reorder what is shown). */
export function isSafeRelativePath(file: string): boolean {
  if (file === '' || file.length > 1024 || file.startsWith('/') || /[\\\0-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|^[a-zA-Z]:/.test(file)) return false;
  return file.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * A generated image's name: what the gallery shows, opens and sends to an edit. A record naming
 * `package.json` or `.env` is not an image the extension made (reviewer #15), so it makes no card.
 */
export function isImageFileName(file: string): boolean {
  return /\.(png|jpe?g|webp)$/i.test(file);
}

async function filesInside(files: readonly string[], realRoot: string): Promise<boolean> {
  for (const file of files) {
    const resolved = path.resolve(realRoot, ...file.split('/'));
    if (!isInside(realRoot, resolved)) return false;
    // A file that is there must not lead outside through a link; a missing one is pruned later.
    const real = await fs.realpath(resolved).catch(() => undefined);
    if (real !== undefined && !isInside(realRoot, real)) return false;
  }
  return true;
}

export function parseRecord(line: string): SharedHistoryRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const o = (typeof r.options === 'object' && r.options !== null ? r.options : {}) as Record<string, unknown>;
  const str = (value: unknown, max: number): value is string => typeof value === 'string' && value.length > 0 && value.length <= max;
  if (r.v !== 1 || !str(r.id, 100) || !/^[\w-]+$/.test(r.id) || !str(r.prompt, 32_000) || !str(r.model, 100)) return undefined;
  if (!Array.isArray(r.files) || r.files.length === 0 || r.files.length > 10 || !r.files.every((f) => typeof f === 'string' && isSafeRelativePath(f) && isImageFileName(f))) return undefined;
  if (typeof r.createdAt !== 'number' || !Number.isFinite(r.createdAt) || r.createdAt < 0) return undefined;
  if (!str(o.size, 20) || !str(o.quality, 20) || !str(o.outputFormat, 20) || !str(o.background, 20)) return undefined;
  if (typeof o.n !== 'number' || !Number.isInteger(o.n) || o.n < 1 || o.n > 10) return undefined;
  const parents = Array.isArray(r.parents) ? r.parents.filter((p): p is string => typeof p === 'string' && isSafeRelativePath(p)).slice(0, 16) : [];
  const cost = typeof r.cost === 'object' && r.cost !== null ? (r.cost as Record<string, unknown>) : undefined;
  const usage = typeof r.usage === 'object' && r.usage !== null ? (r.usage as Record<string, unknown>) : undefined;
  const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);
  return {
    v: 1,
    id: r.id,
    prompt: r.prompt,
    model: r.model,
    options: { size: o.size, quality: o.quality, n: o.n, outputFormat: o.outputFormat, background: o.background },
    files: r.files as string[],
    createdAt: r.createdAt,
    ...(str(r.requestId, 200) && { requestId: r.requestId }),
    ...(usage && { usage: { totalTokens: count(usage.totalTokens), inputTokens: count(usage.inputTokens), outputTokens: count(usage.outputTokens) } }),
    ...(cost && typeof cost.usd === 'number' && Number.isFinite(cost.usd) && cost.usd >= 0 && (cost.basis === 'usage' || cost.basis === 'estimate') && {
      cost: { usd: cost.usd, basis: cost.basis },
    }),
    ...(parents.length > 0 && { parents }),
  };
}
