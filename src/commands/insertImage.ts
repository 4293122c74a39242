import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig } from '../common/config';
import { showError } from '../common/errorReporting';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import { resolveAssetsDir } from '../core/paths';
import { insertImageLinks } from '../editor/insertLinks';
import { imageExtensions } from '../shared/labels';

const imageGlob = `**/*.{${imageExtensions.join(',')}}`;

/** Insert Image…: pick an image of the assets folder (newest first) or browse, then link it at the cursor. */
export async function insertImageCommand(log: Log): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void notify('warning', 'GPT Image: open a text editor to insert an image into.');
    return;
  }
  try {
    const picked = await pickImage(editor.document);
    if (!picked) return;
    await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, [picked], altFromFile(picked));
  } catch (error) {
    void showError(error, log, { action: 'Insert' });
  }
}

export async function insertFromExplorerCommand(log: Log, files: readonly vscode.Uri[]): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor || files.length === 0) {
    void notify('warning', 'GPT Image: open a text editor to insert the image into.');
    return;
  }
  try {
    await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, files, altFromFile(files[0]));
  } catch (error) {
    void showError(error, log, { action: 'Insert' });
  }
}

async function pickImage(document: vscode.TextDocument): Promise<vscode.Uri | undefined> {
  const folder =
    vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.workspaceFolders?.[0] ?? undefined;
  const browse = { label: '$(folder-opened) Browse…', description: 'Choose an image file anywhere' };
  let items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = [];
  if (folder) {
    const assets = resolveAssetsDir(folder.uri.fsPath, readConfig(folder.uri).assetsFolder);
    // No exclude argument: the user's files.exclude applies.
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(assets), imageGlob), undefined, 500);
    const dated = await Promise.all(
      uris.map(async (uri) => ({ uri, mtime: (await vscode.workspace.fs.stat(uri)).mtime })),
    );
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
    title: 'GPT Image: Insert Image',
    placeHolder: items.length ? 'Pick an image to insert at the cursor' : 'No images in the assets folder yet',
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if ('uri' in choice && choice.uri) return choice.uri;
  const browsed = await vscode.window.showOpenDialog({
    canSelectMany: false,
    defaultUri: folder?.uri,
    filters: { Images: [...imageExtensions] },
    openLabel: 'Insert',
  });
  return browsed?.[0];
}

/** `sunset-over-sea-20261125-101500.png` → `sunset over sea`. */
function altFromFile(file: vscode.Uri): string {
  const base = path.basename(file.fsPath, path.extname(file.fsPath));
  return base.replace(/-\d{8}-\d{6}(-\d+)?$/, '').replace(/[-_]+/g, ' ').trim() || 'image';
}
