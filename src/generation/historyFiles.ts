import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { GenerationRequest, GenerationResult } from '../core/types';
import { fileExists } from '../editor/imageActions';
import { imageExtensions } from '../shared/labels';
import { isSizeShape } from '../shared/protocol';
import type { ImageOptions } from '../shared/options';
import {
  historyCostFrom,
  historyRequestIdFrom,
  historyUsageFrom,
  resolveStoredPath,
  toStoredPaths,
  type FolderLike,
  type HistoryEntry,
  type HistoryStore,
} from './history';

/** The open workspace folders on disk (a virtual folder holds no generated images). */
export function workspaceFileFolders(): FolderLike[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === 'file')
    .map((folder) => ({ name: folder.name, fsPath: folder.uri.fsPath }));
}

/** Used for options a request left out when the surface gave none (the palette): the API's defaults. */
const apiDefaults: Omit<ImageOptions, 'n'> = { size: 'auto', quality: 'auto', outputFormat: 'png', background: 'auto' };

/** The history entry of a finished generation; options the request left out keep `fallback`'s values. */
export function historyEntryFor(
  files: readonly vscode.Uri[],
  request: GenerationRequest,
  result: Pick<GenerationResult, 'requestId' | 'usage'>,
  fallback: Omit<ImageOptions, 'n'> = apiDefaults,
  cost?: Parameters<typeof historyCostFrom>[0],
): HistoryEntry {
  const stored = toStoredPaths(
    files.map((file) => file.fsPath),
    workspaceFileFolders(),
  );
  const requestId = historyRequestIdFrom(result.requestId);
  const usage = historyUsageFrom(result.usage);
  const kept = historyCostFrom(cost);
  return {
    id: randomUUID(),
    prompt: request.prompt,
    model: request.model,
    options: {
      size: isSizeShape(request.size) ? request.size : fallback.size,
      quality: request.quality ?? fallback.quality,
      n: request.n,
      outputFormat: request.outputFormat ?? fallback.outputFormat,
      background: request.background ?? fallback.background,
    },
    folder: stored.folder,
    files: stored.files,
    createdAt: Date.now(),
    ...(requestId ? { requestId } : {}),
    ...(usage ? { usage } : {}),
    ...(kept ? { cost: kept } : {}),
  };
}

/**
 * An edit's entry with its lineage (issue #13): the source images and the mask file, stored relative to
 * the entry's folder like its files (an edit is saved beside its original, so they share the folder).
 */
export function withLineage(entry: HistoryEntry, parents: readonly vscode.Uri[], mask?: vscode.Uri): HistoryEntry {
  if (parents.length === 0) return entry;
  const folder = workspaceFileFolders().find((candidate) => candidate.name === entry.folder);
  const sources = [...parents, ...(mask ? [mask] : [])].map((uri) => uri.fsPath);
  // Relative to the entry's folder when the first source is inside it (always, for edits saved beside it).
  const paths = folder ? toStoredPaths(sources, [folder]).files : sources;
  return { ...entry, parents: paths.slice(0, parents.length), ...(mask && { mask: paths[parents.length] }) };
}

/**
 * Drops history files that no longer exist; resolves true when something changed. Files of a folder
 * that is not open now are kept: they may come back with the folder.
 */
export function pruneMissingFiles(history: HistoryStore): Promise<boolean> {
  const open = workspaceFileFolders();
  return history.prune(async (entry, file) => {
    const absolute = resolveStoredPath(entry, file, open);
    return absolute === undefined ? entry.folder !== undefined : fileExists(vscode.Uri.file(absolute));
  });
}

/**
 * Keeps the history in step with the disk while the extension runs: image files deleted anywhere in
 * the workspace are pruned (debounced, 300 ms), files and folders moved inside VS Code are followed.
 * `changed` is called whenever the stored history changed.
 */
export function watchHistoryFiles(history: HistoryStore, changed: () => void, log: { warn(message: string): void }): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(`**/*.{${imageExtensions.join(',')}}`, true, true, false);
  let pending: NodeJS.Timeout | undefined;
  const report = (what: string) => (error: unknown) => log.warn(`Image history: ${what} failed: ${String(error)}`);
  const prune = (): void => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      pruneMissingFiles(history).then((done) => done && changed(), report('pruning deleted files'));
    }, 300);
  };
  return vscode.Disposable.from(
    watcher,
    watcher.onDidDelete(prune),
    // A deleted folder sends no event per image inside it.
    vscode.workspace.onDidDeleteFiles(prune),
    vscode.workspace.onDidRenameFiles((event) => {
      const renames = event.files
        .filter(({ oldUri, newUri }) => oldUri.scheme === 'file' && newUri.scheme === 'file')
        .map(({ oldUri, newUri }) => ({ from: oldUri.fsPath, to: newUri.fsPath }));
      if (renames.length === 0) return;
      history.rename(renames, workspaceFileFolders()).then((done) => done && changed(), report('following moved files'));
    }),
    { dispose: () => clearTimeout(pending) },
  );
}
