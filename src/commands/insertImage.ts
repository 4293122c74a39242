import * as path from 'node:path';
import * as vscode from 'vscode';
import { showError } from '../common/errorReporting';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import { insertImageLinks } from '../editor/insertLinks';
import { imageExtensions } from '../shared/labels';
import { pickAssetImage } from './pickImage';

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
  const [first] = files;
  if (!editor || first === undefined) {
    void notify('warning', 'GPT Image: open a text editor to insert the image into.');
    return;
  }
  try {
    await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, files, altFromFile(first));
  } catch (error) {
    void showError(error, log, { action: 'Insert' });
  }
}

function pickImage(document: vscode.TextDocument): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.workspaceFolders?.[0] ?? undefined;
  return pickAssetImage(folder, {
    title: 'GPT Image: Insert Image',
    placeHolder: 'Pick an image to insert at the cursor',
    emptyPlaceHolder: 'No images in the assets folder yet',
    extensions: imageExtensions,
    openLabel: 'Insert',
  });
}

/** `sunset-over-sea-20261125-101500.png` → `sunset over sea`. */
export function altFromFile(file: vscode.Uri): string {
  const base = path.basename(file.fsPath, path.extname(file.fsPath));
  return base.replace(/-\d{8}-\d{6}(-\d+)?$/, '').replace(/[-_]+/g, ' ').trim() || 'image';
}
