import * as path from 'node:path';
import type * as vscode from 'vscode';
import { isInside, toPosixRelative } from '../core/paths';
import { isCount, isEntryId, isImageOptions } from '../shared/protocol';
import type { ImageOptions } from '../shared/options';

/** One generation as kept in workspace state. Paths, not URIs: relative ones survive moving the workspace. */
export interface HistoryEntry {
  readonly id: string;
  readonly prompt: string;
  readonly options: ImageOptions;
  readonly model: string;
  /** Name of the workspace folder that relative `files` are relative to. */
  readonly folder?: string;
  /** Posix paths relative to `folder`, or absolute paths for files saved outside the workspace. */
  readonly files: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** The server's request id, when it sent one (entries from before 0.1 have none). */
  readonly requestId?: string;
  /** Token counts the server reported, when it did. */
  readonly usage?: HistoryUsage;
  /** What it cost (issue #14; entries from before have none). */
  readonly cost?: HistoryCost;
  /**
   * An edit's source images (issue #13), stored like `files`: the first is the image edited, the
   * others are references. Absent for a generation from scratch.
   */
  readonly parents?: readonly string[];
  /** The mask file of an edit, stored like `files`; absent when the mask was not a file (or none). */
  readonly mask?: string;
  /** The images the user kept (Keep in the Studio, issue #13), stored like `files`: a subset of them. */
  readonly kept?: readonly string[];
}

/** USD; `basis` says whether from the server's usage or an estimate; `chargedUsd` = the balance drop. */
export interface HistoryCost {
  readonly usd: number;
  readonly basis: 'usage' | 'estimate';
  readonly chargedUsd?: number;
}

export interface HistoryUsage {
  readonly totalTokens?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

/** A file moved from `from` to `to` (absolute paths). */
export interface PathRename {
  readonly from: string;
  readonly to: string;
}

export interface FolderLike {
  readonly name: string;
  readonly fsPath: string;
}

const stateKey = 'gptImage.studioHistory';
export const historyCap = 100;

/**
 * The Studio's gallery history, newest first, in `workspaceState` (so each workspace has its own). Only
 * the `Memento` is needed, which keeps this class testable without VS Code.
 */
export class HistoryStore {
  /** The last queued mutation; see {@link mutate}. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly memento: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly cap = historyCap,
  ) {}

  /** The stored entries; anything malformed (an older format, a hand-edited state) is skipped. */
  list(): readonly HistoryEntry[] {
    const raw = this.memento.get<unknown>(stateKey);
    return Array.isArray(raw) ? raw.filter(isHistoryEntry) : [];
  }

  get(id: string): HistoryEntry | undefined {
    return this.list().find((entry) => entry.id === id);
  }

  async add(entry: HistoryEntry): Promise<void> {
    await this.mutate((entries) => [entry, ...entries.filter((existing) => existing.id !== entry.id)]);
  }

  /**
   * Drops files that no longer exist and entries left without files. Resolves to true when something
   * changed, so the caller knows to refresh the gallery. The checks run outside the mutation queue (an
   * `add` need not wait for many stats); only the removal of what was found missing is queued.
   */
  async prune(exists: (entry: HistoryEntry, file: string) => Promise<boolean>): Promise<boolean> {
    /** Entry id → its files that are gone. */
    const missing = new Map<string, Set<string>>();
    for (const entry of this.list()) {
      const checks = await Promise.all(entry.files.map((file) => exists(entry, file).catch(() => false)));
      const gone = entry.files.filter((_, i) => !checks[i]);
      if (gone.length > 0) missing.set(entry.id, new Set(gone));
    }
    if (missing.size === 0) return false;
    let changed = false;
    await this.mutate((entries) =>
      entries.flatMap((entry) => {
        const gone = missing.get(entry.id);
        const files = gone ? entry.files.filter((file) => !gone.has(file)) : entry.files;
        if (files.length === entry.files.length) return [entry];
        changed = true;
        const kept = entry.kept?.filter((file) => files.includes(file));
        return files.length > 0 ? [{ ...entry, files, kept: kept?.length ? kept : undefined }] : [];
      }),
    );
    return changed;
  }

  /** Marks `file` of entry `id` kept or not kept; resolves true when the entry changed. */
  async setKept(id: string, file: string, kept: boolean): Promise<boolean> {
    return this.change(id, (entry) => {
      if (!entry.files.includes(file) || (entry.kept?.includes(file) ?? false) === kept) return entry;
      const next = kept ? [...(entry.kept ?? []), file] : (entry.kept ?? []).filter((other) => other !== file);
      return { ...entry, kept: next.length > 0 ? next : undefined };
    });
  }

  /** Drops `files` from entry `id` (their files were discarded); an entry left without files goes. */
  async removeFiles(id: string, files: readonly string[]): Promise<boolean> {
    const gone = new Set(files);
    return this.change(id, (entry) => {
      if (!entry.files.some((file) => gone.has(file))) return entry;
      const kept = entry.kept?.filter((file) => !gone.has(file));
      return { ...entry, files: entry.files.filter((file) => !gone.has(file)), kept: kept?.length ? kept : undefined };
    });
  }

  /** Replaces entry `id` by `update(entry)` (an entry without files is removed); true when it changed. */
  private async change(id: string, update: (entry: HistoryEntry) => HistoryEntry): Promise<boolean> {
    let changed = false;
    await this.mutate((entries) =>
      entries.flatMap((entry) => {
        if (entry.id !== id) return [entry];
        const next = update(entry);
        if (next === entry) return [entry];
        changed = true;
        return next.files.length > 0 ? [next] : [];
      }),
    );
    return changed;
  }

  /** Stored paths follow files moved inside VS Code; resolves true when something changed. */
  async rename(renames: readonly PathRename[], folders: readonly FolderLike[]): Promise<boolean> {
    let changed = false;
    await this.mutate((entries) => {
      const next = renameStoredPaths(entries, renames, folders);
      changed = next !== entries;
      return next;
    });
    return changed;
  }

  /**
   * Every read-modify-write of the stored list goes through one promise chain: each mutation reads the
   * list only after the previous one was written, so concurrent calls cannot overwrite each other.
   */
  private mutate(change: (entries: readonly HistoryEntry[]) => readonly HistoryEntry[]): Promise<void> {
    const next = this.queue.then(() => this.memento.update(stateKey, change(this.list()).slice(0, this.cap)));
    // A failed write must not block the ones queued after it; its caller still sees the error.
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Stores files inside a workspace folder relative to it (posix separators), others as absolute paths.
 * All files of one generation share a folder, so the first file decides which one.
 */
export function toStoredPaths(
  files: readonly string[],
  folders: readonly FolderLike[],
): { readonly folder?: string; readonly files: readonly string[] } {
  const [first] = files;
  const folder = first !== undefined ? folders.find((candidate) => isBelow(candidate.fsPath, first)) : undefined;
  if (!folder) return { files: [...files] };
  return {
    folder: folder.name,
    files: files.map((file) =>
      isBelow(folder.fsPath, file) ? path.relative(folder.fsPath, file).split(path.sep).join('/') : file,
    ),
  };
}

/** The absolute path of a stored file, or undefined when its workspace folder is not open. */
export function resolveStoredPath(
  entry: Pick<HistoryEntry, 'folder'>,
  file: string,
  folders: readonly FolderLike[],
): string | undefined {
  if (path.isAbsolute(file)) return file;
  const folder =
    folders.find((candidate) => candidate.name === entry.folder) ?? (folders.length === 1 ? folders[0] : undefined);
  if (!folder) return undefined;
  const resolved = path.resolve(folder.fsPath, ...file.split('/'));
  // A hand-edited state must not point outside the folder with `..`.
  return isBelow(folder.fsPath, resolved) ? resolved : undefined;
}

/**
 * The entries with every stored file that was renamed (or lies inside a renamed folder) pointing at its
 * new place, stored as {@link toStoredPaths} would store it. Returns `entries` itself when nothing matched.
 */
export function renameStoredPaths(
  entries: readonly HistoryEntry[],
  renames: readonly PathRename[],
  folders: readonly FolderLike[],
): readonly HistoryEntry[] {
  let changed = false;
  const next = entries.map((entry) => {
    let touched = false;
    const absolute = entry.files.map((file) => {
      const resolved = resolveStoredPath(entry, file, folders);
      if (resolved === undefined) return undefined;
      for (const { from, to } of renames) {
        if (resolved === from) return ((touched = true), to);
        if (isBelow(from, resolved)) return ((touched = true), path.join(to, path.relative(from, resolved)));
      }
      return resolved;
    });
    if (!touched || absolute.some((file) => file === undefined)) return entry;
    changed = true;
    const stored = toStoredPaths(absolute as string[], folders);
    // A kept image stays kept under its new name.
    const kept = entry.kept?.flatMap((file) => stored.files[entry.files.indexOf(file)] ?? []);
    return { ...entry, folder: stored.folder, files: stored.files, ...(kept && { kept }) };
  });
  return changed ? next : entries;
}

/** Inside `dir` but not `dir` itself: a stored image is a file, never the folder. */
function isBelow(dir: string, file: string): boolean {
  return isInside(dir, file) && toPosixRelative(dir, file) !== '';
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    isEntryId(entry.id) &&
    typeof entry.prompt === 'string' &&
    isImageOptions(entry.options) &&
    typeof entry.model === 'string' &&
    (entry.folder === undefined || typeof entry.folder === 'string') &&
    Array.isArray(entry.files) &&
    entry.files.length > 0 &&
    isCount(entry.files.length) &&
    entry.files.every((file) => typeof file === 'string' && file !== '') &&
    typeof entry.createdAt === 'number' &&
    Number.isFinite(entry.createdAt) &&
    (entry.requestId === undefined || isRequestId(entry.requestId)) &&
    (entry.usage === undefined || isHistoryUsage(entry.usage)) &&
    (entry.cost === undefined || isHistoryCost(entry.cost)) &&
    (entry.parents === undefined || isStoredPathList(entry.parents, 16)) &&
    (entry.mask === undefined || (typeof entry.mask === 'string' && entry.mask !== '')) &&
    (entry.kept === undefined || (isStoredPathList(entry.kept, entry.files.length) && (entry.kept as unknown[]).every((file) => (entry.files as unknown[]).includes(file))))
  );
}

function isStoredPathList(value: unknown, max: number): boolean {
  // No `.` or `..` segment: `assets/./a.png` must not alias a kept `assets/a.png` as a different text.
  return Array.isArray(value) && value.length > 0 && value.length <= max && value.every((file) => typeof file === 'string' && file !== '' && !file.split(/[\\/]/).some((part) => part === '.' || part === '..'));
}

/** Printable ASCII without spaces, 1–200 characters: what servers send as x-request-id. */
function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,200}$/.test(value);
}

function isHistoryUsage(value: unknown): value is HistoryUsage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = ['totalTokens', 'inputTokens', 'outputTokens'];
  return Object.entries(value).every(
    ([key, count]) => keys.includes(key) && (count === undefined || (Number.isSafeInteger(count) && (count as number) >= 0)),
  );
}

function isHistoryCost(value: unknown): value is HistoryCost {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { usd, basis, chargedUsd, ...rest } = value as Record<string, unknown>;
  const amount = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1e7;
  return Object.keys(rest).length === 0 && amount(usd) && (basis === 'usage' || basis === 'estimate') && (chargedUsd === undefined || amount(chargedUsd));
}

/** What of a generation's cost a history entry keeps: finite amounts only. */
export function historyCostFrom(cost: { readonly usd: number; readonly basis: 'usage' | 'estimate'; readonly chargedUsd?: number } | undefined): HistoryCost | undefined {
  if (!cost) return undefined;
  const kept: HistoryCost = { usd: cost.usd, basis: cost.basis, ...(cost.chargedUsd !== undefined && { chargedUsd: cost.chargedUsd }) };
  return isHistoryCost(kept) ? kept : undefined;
}

/** What of the server's usage a history entry keeps: known whole counts only. */
export function historyUsageFrom(usage: {
  readonly total_tokens?: number;
  readonly input_tokens?: number;
  readonly output_tokens?: number;
} | undefined): HistoryUsage | undefined {
  if (!usage) return undefined;
  const pick = (count: number | undefined) => (Number.isSafeInteger(count) && (count as number) >= 0 ? count : undefined);
  const result = { totalTokens: pick(usage.total_tokens), inputTokens: pick(usage.input_tokens), outputTokens: pick(usage.output_tokens) };
  const kept = Object.fromEntries(Object.entries(result).filter(([, count]) => count !== undefined)) as HistoryUsage;
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** A request id worth storing, or undefined. */
export function historyRequestIdFrom(requestId: string | undefined): string | undefined {
  return isRequestId(requestId) ? requestId : undefined;
}
