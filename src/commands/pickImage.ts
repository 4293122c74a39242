import * as path from 'node:path';
import * as vscode from 'vscode';
import { assetsFolderSetting, readConfig } from '../common/config';
import { resolveAssetsDir } from '../core/paths';

export interface PickImageOptions {
  readonly title: string;
  readonly placeHolder: string;
  readonly emptyPlaceHolder: string;
  /** Extensions offered (no dot). */
  readonly extensions: readonly string[];
  readonly openLabel: string;
}

/**
 * A quick pick of the images in the assets folder of `folder` (newest first, the user's files.exclude
 * applies) with Browse… at the end; undefined when the user cancels.
 */
export async function pickAssetImage(folder: vscode.WorkspaceFolder | undefined, options: PickImageOptions): Promise<vscode.Uri | undefined> {
  const browse = { label: '$(folder-opened) Browse…', description: 'Choose an image file anywhere' };
  let items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = [];
  if (folder) {
    const assets = resolveAssetsDir(folder.uri.fsPath, readConfig(folder.uri).assetsFolder, assetsFolderSetting);
    const glob = `**/*.{${options.extensions.join(',')}}`;
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(assets), glob), undefined, 500);
    const dated = await Promise.all(uris.map(async (uri) => ({ uri, mtime: (await vscode.workspace.fs.stat(uri)).mtime })));
    dated.sort((a, b) => b.mtime - a.mtime);
    items = dated.map(({ uri, mtime }) => ({
      label: path.basename(uri.fsPath),
      description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath), false),
      detail: new Date(mtime).toLocaleString(),
      iconPath: vscode.ThemeIcon.File,
      resourceUri: uri,
      uri,
    }));
  }
  const choice = await vscode.window.showQuickPick([...items, browse], {
    title: options.title,
    placeHolder: items.length ? options.placeHolder : options.emptyPlaceHolder,
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if ('uri' in choice && choice.uri) return choice.uri;
  const browsed = await vscode.window.showOpenDialog({
    canSelectMany: false,
    defaultUri: folder?.uri,
    filters: { Images: [...options.extensions] },
    openLabel: options.openLabel,
  });
  return browsed?.[0];
}
