import * as vscode from 'vscode';
import { assetsFolderSetting, configSection, readConfig } from '../common/config';
import { Disposable } from '../common/dispose';
import { readProvenanceSettings } from '../common/provenanceSettings';
import { resolveAssetsDirReal } from '../core/paths';
import { appendHistoryRecord, historyFileName, readHistoryRecords, type SharedHistoryRecord } from '../core/provenance/historyFile';
import { isImageOptions } from '../shared/protocol';
import type { HistoryEntry } from './history';

/** A history entry read from a repository's history file; `source` names it in Show Image Info. */
export type SharedHistoryEntry = HistoryEntry & { readonly source: string; readonly parents?: readonly string[] };

/**
 * `gptImage.historyFile` (issue #15 §4): each generation is also appended to
 * `<assetsFolder>/.gpt-image-history.jsonl`, so prompts and lineage travel with the repository, and the
 * entries of every open folder's file are merged into the gallery. The file is the repository's, so it
 * is read as untrusted (see readHistoryRecords): records pointing outside their workspace folder are
 * dropped, so the gallery never shows, nor opens a resource root for, a file outside the workspace.
 */
export class SharedHistory extends Disposable {
  private entries: readonly SharedHistoryEntry[] = [];
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: { warn(message: string): void },
    private readonly changed: () => void,
  ) {
    super();
    const watcher = this._register(vscode.workspace.createFileSystemWatcher(`**/${historyFileName}`));
    const reload = (): void => void this.reload();
    this._register(watcher.onDidChange(reload));
    this._register(watcher.onDidCreate(reload));
    this._register(watcher.onDidDelete(reload));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (['historyFile', 'assetsFolder'].some((key) => event.affectsConfiguration(`${configSection}.${key}`))) reload();
      }),
    );
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(reload));
    reload();
  }

  /** The entries of every open folder's history file (those with the setting on), newest first. */
  list(): readonly SharedHistoryEntry[] {
    return this.entries;
  }

  /** Resolves once the latest reload has finished (tests). */
  whenLoaded(): Promise<void> {
    return this.loading;
  }

  reload(): Promise<void> {
    this.loading = this.loading.then(async () => {
      const next: SharedHistoryEntry[] = [];
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (folder.uri.scheme !== 'file' || !readProvenanceSettings(folder.uri).historyFile) continue;
        try {
          const dir = await resolveAssetsDirReal(folder.uri.fsPath, readConfig(folder.uri).assetsFolder, assetsFolderSetting);
          const records = await readHistoryRecords(dir, folder.uri.fsPath);
          for (const record of records) {
            // A file deleted since (or never committed) makes no card.
            const present = await Promise.all(record.files.map((file) => exists(vscode.Uri.joinPath(folder.uri, ...file.split('/')))));
            if (present.every(Boolean)) next.push(...toEntry(record, folder.name));
          }
        } catch (error) {
          this.log.warn(`Image history file of ${folder.name}: not read: ${String(error)}`);
        }
      }
      next.sort((a, b) => b.createdAt - a.createdAt);
      const before = JSON.stringify(this.entries);
      this.entries = next;
      if (JSON.stringify(next) !== before) this.changed();
    });
    return this.loading;
  }

  /** Appends the generation to its workspace folder's history file when the setting is on. Never throws. */
  async append(entry: HistoryEntry): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.name === entry.folder && candidate.uri.scheme === 'file');
    if (!folder || !readProvenanceSettings(folder.uri).historyFile) return;
    try {
      const dir = await resolveAssetsDirReal(folder.uri.fsPath, readConfig(folder.uri).assetsFolder, assetsFolderSetting);
      await appendHistoryRecord(dir, toRecord(entry));
    } catch (error) {
      this.log.warn(`Image history file: the generation was not appended: ${String(error)}`);
    }
  }
}


async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

function toRecord(entry: HistoryEntry): SharedHistoryRecord {
  return {
    v: 1,
    id: entry.id,
    prompt: entry.prompt,
    model: entry.model,
    options: entry.options,
    files: entry.files,
    createdAt: entry.createdAt,
    ...(entry.requestId && { requestId: entry.requestId }),
    ...(entry.usage && { usage: entry.usage }),
    ...(entry.cost && { cost: { usd: entry.cost.usd, basis: entry.cost.basis } }),
    ...(entry.parents?.length && { parents: entry.parents }),
  };
}

function toEntry(record: SharedHistoryRecord, folder: string): SharedHistoryEntry[] {
  if (!isImageOptions(record.options)) return [];
  return [
    {
      id: record.id,
      prompt: record.prompt,
      model: record.model,
      options: record.options,
      folder,
      files: record.files,
      createdAt: record.createdAt,
      ...(record.requestId && { requestId: record.requestId }),
      ...(record.cost && { cost: record.cost }),
      ...(record.parents && { parents: record.parents }),
      source: historyFileName,
    },
  ];
}

/** The local entries with the history files' ones the local history does not have, newest first. */
export function mergeEntries(local: readonly HistoryEntry[], shared: readonly HistoryEntry[]): readonly HistoryEntry[] {
  const ids = new Set(local.map((entry) => entry.id));
  const extra = shared.filter((entry) => !ids.has(entry.id));
  return extra.length ? [...local, ...extra].sort((a, b) => b.createdAt - a.createdAt) : local;
}
