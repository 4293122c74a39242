import * as path from 'node:path';
import { isInside, resolveAssetsDir, staysInsideRealSync } from '../core/paths';
import { resolveStoredPath, type FolderLike, type HistoryEntry } from '../generation/history';

/** An open `file:` workspace folder and its `gptImage.assetsFolder` value. */
export interface RootFolder extends FolderLike {
  readonly assetsFolder: string;
}

/**
 * Security: besides our media/ folder, the webview may load only the folders generated images live in:
 * each workspace folder's assets folder (the folder itself when assetsFolder is `.`), plus folders of
 * earlier generations inside an open workspace folder (the setting may have changed since). Nothing
 * outside the workspace folders: assetsFolder is resource-scoped, so a repository's
 * .vscode/settings.json sets it, and `Uri.joinPath` would follow its `..` up to `/`.
 *
 * No `vscode` import: the caller turns these paths into URIs, and plain mocha tests this.
 * `staysInside` is the symlink check (real paths), passed in for tests.
 */
export function imageRootPaths(
  folders: readonly RootFolder[],
  entries: readonly HistoryEntry[],
  staysInside: (root: string, dir: string) => boolean = staysInsideRealSync,
): string[] {
  const roots = new Set<string>();
  for (const folder of folders) {
    try {
      const dir = resolveAssetsDir(folder.fsPath, folder.assetsFolder);
      // A committed `assets -> /` symlink must not widen the roots either.
      if (staysInside(folder.fsPath, dir)) roots.add(dir);
    } catch {
      // An assetsFolder outside the folder adds no root; generating reports the setting as invalid.
    }
  }
  for (const entry of entries) {
    if (entry.folder === undefined) continue;
    for (const file of entry.files) {
      const absolute = resolveStoredPath(entry, file, folders);
      const dir = absolute === undefined ? undefined : path.dirname(absolute);
      if (dir && folders.some((folder) => isInside(folder.fsPath, dir) && staysInside(folder.fsPath, dir))) {
        roots.add(dir);
      }
    }
  }
  return [...roots];
}
