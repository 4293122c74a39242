import * as vscode from 'vscode';
import { findLinkReplacements } from '../core/linkReplace';

/**
 * Points every link to `from` in `document` at `to` (Replace Link of Edit Image…, issue #13), as one
 * WorkspaceEdit: a single Undo brings all the old links back. Resolves to the number of links replaced
 * (0 when there were none or the editor refused the edit, e.g. a read-only document).
 */
export async function replaceImageLinks(document: vscode.TextDocument, from: vscode.Uri, to: vscode.Uri): Promise<number> {
  if (document.isClosed) return 0;
  const root = vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.getWorkspaceFolder(from);
  const replacements = findLinkReplacements(document.getText(), {
    documentPath: document.uri.scheme === 'file' ? document.uri.fsPath : undefined,
    workspaceRoot: root?.uri.scheme === 'file' ? root.uri.fsPath : undefined,
    from: from.fsPath,
    to: to.fsPath,
  });
  if (replacements.length === 0) return 0;
  const edit = new vscode.WorkspaceEdit();
  for (const { start, end, replacement } of replacements) {
    edit.replace(document.uri, new vscode.Range(document.positionAt(start), document.positionAt(end)), replacement);
  }
  return (await vscode.workspace.applyEdit(edit)) ? replacements.length : 0;
}

/** How many links to `from` the document holds (whether to offer Replace Link at all). */
export function countImageLinks(document: vscode.TextDocument, from: vscode.Uri): number {
  const root = vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.getWorkspaceFolder(from);
  return findLinkReplacements(document.getText(), {
    documentPath: document.uri.scheme === 'file' ? document.uri.fsPath : undefined,
    workspaceRoot: root?.uri.scheme === 'file' ? root.uri.fsPath : undefined,
    from: from.fsPath,
    to: from.fsPath,
  }).length;
}
