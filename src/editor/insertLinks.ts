import * as vscode from 'vscode';
import { blockLinkBreaks, escapeSnippet, formatImageLinks } from '../core/linkFormat';
import type { InsertAnchor } from './insertAnchor';

/**
 * Where links go. Without `anchor`, at the editor's selections when inserting (replacing selected text,
 * as a paste would). With an anchor, at the place the user was when a long generation started.
 */
export interface InsertTarget {
  readonly document: vscode.TextDocument;
  readonly viewColumn?: vscode.ViewColumn;
  readonly anchor?: InsertAnchor;
}

/**
 * Inserts one link per image as a snippet whose alt text is a tab stop (all images share it, so one edit
 * renames every alt). The document is shown again first: the user may have moved on while generating.
 * Resolves false when the editor refused the edit (read-only document) or the document was closed.
 */
export async function insertImageLinks(target: InsertTarget, files: readonly vscode.Uri[], alt: string): Promise<boolean> {
  // Showing a closed untitled document would open a new, empty one and put the links there.
  if (files.length === 0 || target.document.isClosed) return false;
  const editor = await vscode.window.showTextDocument(target.document, {
    viewColumn: target.viewColumn,
    preserveFocus: false,
    preview: false,
  });
  const snippet = linkSnippet(target.document, files, alt);
  const anchor = target.anchor;
  if (!anchor) {
    // One selection: the links replace it, with line breaks where the syntax is block-level.
    if (editor.selections.length !== 1) return editor.insertSnippet(new vscode.SnippetString(snippet));
    return editor.insertSnippet(new vscode.SnippetString(withBlockBreaks(target.document, editor.selection, snippet)), editor.selection);
  }
  const range = anchor.range;
  if (anchor.placement === 'cursor' || range.isEmpty) {
    const at = new vscode.Range(range.start, range.start);
    return editor.insertSnippet(new vscode.SnippetString(withBlockBreaks(target.document, at, snippet)), range.start);
  }
  // A whole-line selection ends at column 0 of the next line: the prompt's last line is the one before.
  const lastLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
  const lineEnd = target.document.lineAt(lastLine).range.end;
  return editor.insertSnippet(new vscode.SnippetString('\n' + snippet), lineEnd);
}

/**
 * The snippet with the line breaks {@link blockLinkBreaks} asks for when it replaces `range`: a block
 * image inserted at the start of a non-empty line gets a line of its own.
 */
export function withBlockBreaks(document: vscode.TextDocument, range: vscode.Range, snippet: string): string {
  const before = document.lineAt(range.start.line).text.slice(0, range.start.character);
  const after = document.lineAt(range.end.line).text.slice(range.end.character);
  const { prefix, suffix } = blockLinkBreaks(document.languageId, before, after);
  return escapeSnippet(prefix) + snippet + escapeSnippet(suffix);
}

/** The snippet text for the document's language; several images one per line. */
export function linkSnippet(document: vscode.TextDocument, files: readonly vscode.Uri[], alt: string): string {
  return formatImageLinks(files.map((file) => ({ ...linkOptions(document, file), alt }))).snippet;
}

/** The plain text (no snippet syntax) of a link to `file` from `document`, e.g. for Copy Link. */
export function linkText(document: vscode.TextDocument | undefined, file: vscode.Uri, alt: string): string {
  return formatImageLinks([{ ...linkOptions(document, file), alt }]).text;
}

/**
 * Saved documents get document-relative paths; untitled ones (and no document) get paths relative to
 * the workspace folder that holds the image, so a multi-root workspace links into the right folder.
 */
export function linkOptions(document: vscode.TextDocument | undefined, file: vscode.Uri) {
  const onDisk = document !== undefined && !document.isUntitled && document.uri.scheme === 'file';
  const folder =
    (onDisk ? vscode.workspace.getWorkspaceFolder(document.uri) : undefined) ??
    vscode.workspace.getWorkspaceFolder(file) ??
    vscode.workspace.workspaceFolders?.[0];
  return {
    languageId: document?.languageId ?? 'markdown',
    documentPath: onDisk ? document.uri.fsPath : undefined,
    workspaceRoot: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
    imagePath: file.fsPath,
  };
}
