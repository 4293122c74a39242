import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { notify } from '../common/notify';
import { resolveStoredPath, type HistoryEntry } from '../generation/history';
import { workspaceFileFolders } from '../generation/historyFiles';
import type { GenerationService } from '../generation/generationService';
import { plural } from '../shared/labels';
import type { ImageRef } from '../shared/protocol';

/**
 * Keep and Discard the others (issue #13 variants), and opening an edit's parent. The webview names a
 * generation by entry id (+ index) only: the files come from the workspace history, every one is checked
 * to lie inside an open workspace folder, and only files of that entry that are not kept are touched.
 */
export interface VariantDeps {
  readonly generation: Pick<GenerationService, 'historyEntry' | 'changeHistory'>;
  /** A modal question; resolves true when `action` was picked. Default: a modal warning. */
  readonly confirm?: (message: string, detail: string, action: string) => Promise<boolean>;
  /** Default: vscode.workspace.fs (tests pass one whose trash fails). */
  readonly fs?: Pick<vscode.FileSystem, 'delete' | 'stat'>;
}

const modal = async (message: string, detail: string, action: string): Promise<boolean> =>
  (await notify('warning', message, [action], { modal: true, detail })) === action;

/** Toggles Keep on image `ref`; resolves to the status line to show. */
export async function toggleKeep(deps: VariantDeps, ref: ImageRef): Promise<string> {
  const entry = deps.generation.historyEntry(ref.id);
  const file = entry?.files[ref.index];
  if (!entry || file === undefined) return 'That image is no longer in the gallery.';
  if ('source' in entry) return 'This generation comes from the repository’s history file: Keep works on generations of this workspace.';
  const keep = !(entry.kept?.includes(file) ?? false);
  let changed = false;
  await deps.generation.changeHistory(async (history) => (changed = await history.setKept(entry.id, file, keep)));
  const name = path.basename(file);
  if (!changed) return 'That image is no longer in the gallery.';
  return keep ? `Kept ${name}. Discard the others moves the images of this generation you did not keep to the trash.` : `${name} is no longer kept.`;
}

interface Target {
  readonly file: string;
  readonly uri: vscode.Uri;
  readonly shown: string;
}

/**
 * Moves the images of generation `id` that are not kept to the OS trash after a modal confirmation
 * naming the count; where the trash is unavailable (a remote or web workbench) it says so and asks
 * again before deleting permanently, else leaves the files. The history drops what went.
 */
export async function discardOthers(deps: VariantDeps, id: string): Promise<string> {
  if (discarding.has(id)) return 'Discard the others is already running for this generation.';
  discarding.add(id);
  try {
    return await discardOnce(deps, id);
  } finally {
    discarding.delete(id);
  }
}

/** Entries with a Discard the others in progress (one at a time per entry). */
const discarding = new Set<string>();

async function discardOnce(deps: VariantDeps, id: string): Promise<string> {
  const entry = deps.generation.historyEntry(id);
  if (!entry) return 'That generation is no longer in the gallery.';
  if ('source' in entry) return 'This generation comes from the repository’s history file: discard its images in the Explorer.';
  const kept = entry.kept?.filter((file) => entry.files.includes(file)) ?? [];
  if (kept.length === 0) return 'Keep at least one image of this generation first: Discard the others moves the rest to the trash.';
  const { targets, skipped } = await discardTargets(deps, entry, kept);
  const confirm = deps.confirm ?? modal;
  const fs = deps.fs ?? vscode.workspace.fs;
  const leftAlone = skipped.length > 0 ? ` Left alone (not a file inside the workspace): ${skipped.join(', ')}.` : '';
  if (targets.length === 0) return `Nothing to discard: every other image of this generation is gone already.${leftAlone}`;
  // The dialog shows its detail as one paragraph: names separated by commas.
  const names = targets.map((target) => target.shown).join(', ');
  const question = `Move ${plural(targets.length, 'image')} of this generation to the trash?`;
  if (!(await confirm(question, `${names}. You keep ${plural(kept.length, 'image')}; you can restore the others from the trash.`, 'Move to Trash'))) {
    return 'Nothing was discarded.';
  }
  // The dialog waited for the user: the entry (kept list, files) may have changed meanwhile.
  const now = deps.generation.historyEntry(id);
  if (!now || 'source' in now) return 'That generation is no longer in the gallery.';
  const keptNow = now.kept?.filter((file) => now.files.includes(file)) ?? [];
  if (keptNow.length === 0) return 'Nothing was discarded: no image of this generation is kept any more.';
  const still = new Set((await discardTargets(deps, now, keptNow)).targets.map((target) => target.uri.fsPath));
  const trashed: Target[] = [];
  const missing: Target[] = [];
  const failed: { target: Target; reason: string }[] = [];
  const unsupported: { target: Target; reason: string }[] = [];
  for (const target of targets.filter((candidate) => still.has(candidate.uri.fsPath))) {
    try {
      await fs.delete(target.uri, { useTrash: true, recursive: false });
      trashed.push(target);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isNotFound(error)) missing.push(target);
      else (isTrashUnsupported(reason) ? unsupported : failed).push({ target, reason });
    }
  }
  const deleted: Target[] = [];
  let notDeleted = [...failed, ...unsupported];
  if (unsupported[0] !== undefined) {
    const reason = trashProblem(unsupported[0].reason);
    const again = `The trash is not available for ${plural(unsupported.length, 'image')} (${reason}). Delete permanently instead? This cannot be undone.`;
    if (await confirm(again, unsupported.map((failure) => failure.target.shown).join(', '), 'Delete Permanently')) {
      notDeleted = [...failed];
      for (const failure of unsupported) {
        try {
          await fs.delete(failure.target.uri, { useTrash: false, recursive: false });
          deleted.push(failure.target);
        } catch (error) {
          if (isNotFound(error)) missing.push(failure.target);
          else notDeleted.push({ target: failure.target, reason: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  }
  const gone = [...trashed, ...deleted, ...missing].map((target) => target.file);
  if (gone.length > 0) await deps.generation.changeHistory((history) => history.removeFiles(entry.id, gone));
  return [
    trashed.length > 0 ? `Moved ${plural(trashed.length, 'image')} to the trash: restore ${trashed.length === 1 ? 'it' : 'them'} from there to undo.` : '',
    deleted.length > 0 ? `Deleted ${plural(deleted.length, 'image')} permanently.` : '',
    missing.length > 0 ? `${plural(missing.length, 'image')} ${missing.length === 1 ? 'was' : 'were'} gone already.` : '',
    notDeleted.length > 0 ? `Left ${plural(notDeleted.length, 'image')} in place: ${notDeleted.map((failure) => failure.target.shown).join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ')
    .concat(leftAlone);
}

/** A file system without a trash (remote, web) says so; anything else (permissions, busy) is not a reason to delete permanently. */
function isTrashUnsupported(reason: string): boolean {
  return /trash/i.test(reason) && /not (be )?(support|availab)|unsupported|unavailable|no trash/i.test(reason);
}

function isNotFound(error: unknown): boolean {
  return (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') || (error as { code?: unknown } | undefined)?.code === 'ENOENT';
}

/** Why the trash failed, short: a workbench without one (remote, web) says so in a long sentence with the URI. */
function trashProblem(reason: string): string {
  if (/trash/i.test(reason) && /not support/i.test(reason)) return 'this workbench’s file system has no trash, as in remote and web windows';
  return reason.replace(/\s+/g, ' ').slice(0, 200);
}

/** The not-kept files of `entry` that are regular files inside an open workspace folder; the rest by name. */
async function discardTargets(deps: VariantDeps, entry: HistoryEntry, kept: readonly string[]): Promise<{ targets: Target[]; skipped: string[] }> {
  const folders = workspaceFileFolders();
  const fs = deps.fs ?? vscode.workspace.fs;
  const targets: Target[] = [];
  const skipped: string[] = [];
  // Kept files by their real location: `assets/./a.png` or a symlink must not alias a kept image.
  const keptReal = new Set<string>();
  for (const file of kept) {
    const absolute = resolveStoredPath(entry, file, folders);
    const real = absolute === undefined ? undefined : await realpathOrUndefined(absolute);
    if (real) keptReal.add(real);
  }
  for (const file of entry.files.filter((candidate) => !kept.includes(candidate))) {
    const absolute = path.isAbsolute(file) ? undefined : resolveStoredPath(entry, file, folders);
    const uri = absolute === undefined ? undefined : vscode.Uri.file(absolute);
    const folder = uri && vscode.workspace.getWorkspaceFolder(uri);
    if (!uri || !folder) {
      skipped.push(path.basename(file));
      continue;
    }
    const real = await realpathOrUndefined(uri.fsPath);
    if (real === undefined) continue; // gone already: the history prune drops it
    // A folder on the way replaced by a symlink (`assets/` → elsewhere) must not lead the trash outside.
    const folderReal = await realpathOrUndefined(folder.uri.fsPath);
    const relative = folderReal === undefined ? '..' : path.relative(folderReal, real);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative) || keptReal.has(real)) {
      skipped.push(path.basename(file));
      continue;
    }
    const type = await fs.stat(uri).then(
      (stat) => stat.type,
      () => undefined,
    );
    if (type === undefined) continue; // gone already: the history prune drops it
    if ((type & vscode.FileType.File) === 0) {
      skipped.push(path.basename(file));
      continue;
    }
    targets.push({ file, uri, shown: vscode.workspace.asRelativePath(uri) });
  }
  return { targets, skipped };
}

async function realpathOrUndefined(file: string): Promise<string | undefined> {
  return fsp.realpath(file).then(
    (real) => real,
    () => undefined,
  );
}

/** Opens the image edit `id` was made from, when it still exists inside the workspace. */
export async function openParent(deps: VariantDeps, id: string, viewColumn?: vscode.ViewColumn): Promise<string | undefined> {
  const entry = deps.generation.historyEntry(id);
  const first = entry?.parents?.[0];
  if (!entry || first === undefined) return 'That edit is no longer in the gallery.';
  const absolute = resolveStoredPath(entry, first, workspaceFileFolders());
  const uri = absolute === undefined ? undefined : vscode.Uri.file(absolute);
  const name = path.basename(first);
  if (!uri || !vscode.workspace.getWorkspaceFolder(uri)) return `${name} is not inside an open workspace folder.`;
  const exists = await (deps.fs ?? vscode.workspace.fs).stat(uri).then(
    () => true,
    () => false,
  );
  if (!exists) return `${name} no longer exists (it was deleted or moved outside VS Code).`;
  await vscode.commands.executeCommand('vscode.open', uri, { viewColumn: viewColumn ?? vscode.ViewColumn.One, preview: true });
  return undefined;
}
