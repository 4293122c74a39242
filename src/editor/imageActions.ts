import * as vscode from 'vscode';

/** The Explorer shows only workspace files; anything else (a save-dialog location) opens in the OS. */
export async function revealImage(file: vscode.Uri): Promise<void> {
  const inWorkspace = vscode.workspace.getWorkspaceFolder(file) !== undefined;
  await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', file);
}

/** True when the file is there (the gallery may list an image deleted since). */
export async function fileExists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
