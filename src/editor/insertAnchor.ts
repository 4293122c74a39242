import * as vscode from 'vscode';
import { Disposable } from '../common/dispose';

/**
 * A selection remembered across edits: a generation takes minutes, and the user may type above the
 * cursor meanwhile, so the range is shifted with every change to its document until disposed.
 * `afterLine` means the selection was the prompt: keep it and put the images on the line after it.
 */
export class InsertAnchor extends Disposable {
  private start: number;
  private end: number;

  constructor(
    readonly document: vscode.TextDocument,
    selection: vscode.Selection,
    readonly placement: 'cursor' | 'afterLine',
  ) {
    super();
    this.start = document.offsetAt(selection.start);
    this.end = document.offsetAt(selection.end);
    this._register(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === document) this.shift(event.contentChanges);
      }),
    );
    // A closed document gets no links (see insertImageLinks), so nothing is left to follow.
    this._register(
      vscode.workspace.onDidCloseTextDocument((closed) => {
        if (closed === document) this.dispose();
      }),
    );
  }

  /** The remembered range, in the document as it is now. */
  get range(): vscode.Range {
    return new vscode.Range(this.document.positionAt(this.start), this.document.positionAt(this.end));
  }

  private shift(changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
    // Offsets of one event refer to the document before it; from the last change backwards each one
    // only moves what lies after it.
    for (const change of [...changes].sort((a, b) => b.rangeOffset - a.rangeOffset)) {
      const changeEnd = change.rangeOffset + change.rangeLength;
      const delta = change.text.length - change.rangeLength;
      if (changeEnd <= this.start) {
        this.start += delta;
        this.end += delta;
      } else if (change.rangeOffset < this.end) {
        // The remembered text itself was edited: the range grows to cover what replaced it.
        this.start = Math.min(this.start, change.rangeOffset);
        this.end = Math.max(this.start, change.rangeOffset + change.text.length, this.end + delta);
      }
    }
  }
}
