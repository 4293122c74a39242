import * as vscode from 'vscode';
import { commandIds } from '../common/ids';
import { findPlaceholders } from '../core/placeholders';
import { plural } from '../shared/labels';
import { plainText } from '../shared/plainText';
import type { PlaceholderRunner } from './placeholderRunner';
import { quote } from './placeholderRunner';

/** Markdown and MDX: where placeholders live. */
export const placeholderSelector: vscode.DocumentSelector = [{ language: 'markdown' }, { language: 'mdx' }];

/**
 * CodeLenses over placeholders (issue #15 §2): **Generate image** on each, **Generate all N images** on
 * the first, "Generating…" while one runs, and the reason when a title cannot be read. Titles are ours;
 * the alt text only appears in tooltips, made plain. Both run `gptImage.generatePlaceholders` with the
 * document and the placeholders' offsets.
 */
export class PlaceholderLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly runner: PlaceholderRunner) {
    this.onDidChangeCodeLenses = runner.onDidChange;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const placeholders = findPlaceholders(document.getText());
    const lenses: vscode.CodeLens[] = [];
    // One set of running offsets per pass: a batch of thousands must not make this quadratic.
    const running = this.runner.runningOffsets(document);
    const ready = placeholders.filter((p) => !p.problem && !running.has(p.start));
    placeholders.forEach((placeholder) => {
      const range = new vscode.Range(document.positionAt(placeholder.start), document.positionAt(placeholder.end));
      if (running.has(placeholder.start)) {
        lenses.push(new vscode.CodeLens(range, { title: 'Generating image…', command: '' }));
        return;
      }
      if (placeholder.problem) {
        lenses.push(new vscode.CodeLens(range, { title: plainText(`Cannot generate: ${placeholder.problem}`), command: '' }));
        return;
      }
      lenses.push(
        new vscode.CodeLens(range, {
          title: 'Generate image',
          tooltip: `Generate ${quote(placeholder.prompt)} and link it here`,
          command: commandIds.generatePlaceholders,
          arguments: [document.uri, [placeholder.start]],
        }),
      );
      if (placeholder === ready[0] && ready.length > 1) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `Generate all ${plural(ready.length, 'image')}`,
            tooltip: 'Generate every placeholder of this file (with a cost estimate first)',
            command: commandIds.generatePlaceholders,
            arguments: [document.uri],
          }),
        );
      }
    });
    return lenses;
  }
}
