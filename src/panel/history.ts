import * as path from 'node:path';
import type * as vscode from 'vscode';
import { isCount, isEntryId, isStudioOptions, type StudioOptions } from '../shared/protocol';

/** One generation as kept in workspace state. Paths, not URIs: relative ones survive moving the workspace. */
export interface HistoryEntry {
  readonly id: string;
  readonly prompt: string;
  readonly options: StudioOptions;
  readonly model: string;
  /** Name of the workspace folder that relative `files` are relative to. */
  readonly folder?: string;
  /** Posix paths relative to `folder`, or absolute paths for files saved outside the workspace. */
  readonly files: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
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
    const rest = this.list().filter((existing) => existing.id !== entry.id);
    await this.memento.update(stateKey, [entry, ...rest].slice(0, this.cap));
  }

  /**
   * Drops files that no longer exist and entries left without files. Resolves to true when something
   * changed, so the caller knows to refresh the gallery.
   */
  async prune(exists: (entry: HistoryEntry, file: string) => Promise<boolean>): Promise<boolean> {
    const entries = this.list();
    const kept: HistoryEntry[] = [];
    let changed = false;
    for (const entry of entries) {
      const checks = await Promise.all(entry.files.map((file) => exists(entry, file).catch(() => false)));
      const files = entry.files.filter((_, i) => checks[i]);
      if (files.length !== entry.files.length) changed = true;
      if (files.length > 0) kept.push(files.length === entry.files.length ? entry : { ...entry, files });
    }
    if (changed) await this.memento.update(stateKey, kept);
    return changed;
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
  const folder = files.length > 0 ? folders.find((candidate) => isInside(candidate.fsPath, files[0])) : undefined;
  if (!folder) return { files: [...files] };
  return {
    folder: folder.name,
    files: files.map((file) =>
      isInside(folder.fsPath, file) ? path.relative(folder.fsPath, file).split(path.sep).join('/') : file,
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
  return isInside(folder.fsPath, resolved) ? resolved : undefined;
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    isEntryId(entry.id) &&
    typeof entry.prompt === 'string' &&
    isStudioOptions(entry.options) &&
    typeof entry.model === 'string' &&
    (entry.folder === undefined || typeof entry.folder === 'string') &&
    Array.isArray(entry.files) &&
    entry.files.length > 0 &&
    isCount(entry.files.length) &&
    entry.files.every((file) => typeof file === 'string' && file !== '') &&
    typeof entry.createdAt === 'number' &&
    Number.isFinite(entry.createdAt)
  );
}
