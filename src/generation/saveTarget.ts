import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assetsFolderSetting, readConfig } from '../common/config';
import { ImageApiError } from '../core/errors';
import { extensionFor } from '../core/naming';
import type { SaveTarget } from '../core/engine';
import { imageExtensions } from '../shared/labels';
import type { OutputFormat } from '../shared/options';

/**
 * Where to save for a document: the assets folder of its workspace folder; with several folders and no
 * document, the user picks one; with no folder at all, a save dialog. Undefined when the user cancels.
 */
export async function chooseSaveTarget(
  document: vscode.TextDocument | undefined,
  outputFormat: OutputFormat = 'png',
): Promise<SaveTarget | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  let folder = document ? vscode.workspace.getWorkspaceFolder(document.uri) : undefined;
  if (!folder && folders.length === 1) folder = folders[0];
  if (!folder && folders.length > 1) {
    folder = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Save generated images into which folder?' });
    if (!folder) return undefined;
  }
  if (folder) {
    if (folder.uri.scheme !== 'file') {
      throw new ImageApiError('io', `Saving into a ${folder.uri.scheme}: workspace is not supported yet`);
    }
    return { kind: 'assets', workspaceRoot: folder.uri.fsPath, assetsFolder: readConfig(folder.uri).assetsFolder, folderField: assetsFolderSetting };
  }
  const defaultDir =
    document && document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : os.homedir();
  const uri = await vscode.window.showSaveDialog({
    title: 'Save generated image as',
    defaultUri: vscode.Uri.file(path.join(defaultDir, `image.${extensionFor(outputFormat)}`)),
    filters: { Images: [...imageExtensions] },
  });
  return uri ? { kind: 'file', filePath: uri.fsPath } : undefined;
}
