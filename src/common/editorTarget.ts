import * as vscode from 'vscode';
import { Disposable } from './dispose';

/**
 * Insert goes into the text editor that was active last: focusing the Studio makes
 * `activeTextEditor` undefined, so it is remembered here. The Output panel is a text editor too
 * (scheme `output`) and never a target.
 */
export class LastEditorTracker extends Disposable {
  private last: { readonly document: vscode.TextDocument; readonly viewColumn?: vscode.ViewColumn } | undefined;

  constructor() {
    super();
    this.remember(vscode.window.activeTextEditor);
    this._register(vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor)));
  }

  get(): { readonly document: vscode.TextDocument; readonly viewColumn?: vscode.ViewColumn } | undefined {
    if (this.last && !this.last.document.isClosed) return this.last;
    const visible = vscode.window.visibleTextEditors.find((editor) => isTarget(editor));
    return visible ? { document: visible.document, viewColumn: visible.viewColumn } : undefined;
  }

  private remember(editor: vscode.TextEditor | undefined): void {
    if (editor && isTarget(editor)) this.last = { document: editor.document, viewColumn: editor.viewColumn };
  }
}

/** The Output panel (scheme `output`) is a text editor too, but never a place for links. */
export function isTarget(editor: vscode.TextEditor): boolean {
  return editor.document.uri.scheme !== 'output';
}
