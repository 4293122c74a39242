import * as vscode from 'vscode';
import { formatImageLink } from './core/linkFormat';

/** Where links go: a document and, optionally, the selection that was current when the user started. */
export interface InsertTarget {
  readonly document: vscode.TextDocument;
  /** Insert after this range on a new line (it held the prompt), or at its start when empty. */
  readonly selection?: vscode.Selection;
  readonly viewColumn?: vscode.ViewColumn;
}

/**
 * Inserts one link per image as a snippet whose alt text is a tab stop (all images share it, so one edit
 * renames every alt). The document is shown again first: the user may have moved on while generating.
 */
export async function insertImageLinks(target: InsertTarget, files: readonly vscode.Uri[], alt: string): Promise<boolean> {
  if (files.length === 0) return false;
  const editor = await vscode.window.showTextDocument(target.document, {
    viewColumn: target.viewColumn,
    preserveFocus: false,
    preview: false,
  });
  const snippet = new vscode.SnippetString(linkSnippet(target.document, files, alt));
  const selection = target.selection ?? editor.selection;
  if (selection.isEmpty) return editor.insertSnippet(snippet, selection.active);
  // The selection was the prompt: keep it and put the images on the line after it.
  const lineEnd = target.document.lineAt(selection.end.line).range.end;
  return editor.insertSnippet(new vscode.SnippetString('\n' + snippet.value), lineEnd);
}

/** The snippet text for the document's language; several images one per line. */
export function linkSnippet(document: vscode.TextDocument, files: readonly vscode.Uri[], alt: string): string {
  const workspaceRoot = workspaceRootFor(document);
  return files
    .map(
      (file) =>
        formatImageLink({
          languageId: document.languageId,
          documentPath: document.isUntitled || document.uri.scheme !== 'file' ? undefined : document.uri.fsPath,
          workspaceRoot,
          imagePath: file.fsPath,
          alt,
        }).snippet,
    )
    .join('\n');
}

/** The plain text (no snippet syntax) of a link to `file` from `document`, e.g. for Copy Link. */
export function linkText(document: vscode.TextDocument | undefined, file: vscode.Uri, alt: string): string {
  return formatImageLink({
    languageId: document?.languageId ?? 'markdown',
    documentPath: document && !document.isUntitled && document.uri.scheme === 'file' ? document.uri.fsPath : undefined,
    workspaceRoot: document ? workspaceRootFor(document) : vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath,
    imagePath: file.fsPath,
    alt,
  }).text;
}

function workspaceRootFor(document: vscode.TextDocument): string | undefined {
  const folder =
    vscode.workspace.getWorkspaceFolder(document.uri) ??
    (vscode.workspace.workspaceFolders?.length ? vscode.workspace.workspaceFolders[0] : undefined);
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}
