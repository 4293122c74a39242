import * as vscode from 'vscode';
import { commandIds } from '../common/ids';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import type { GenerationService } from '../generation/generationService';
import { registerImageDrop } from './imageDrop';
import { showImageInfoCommand } from './imageInfo';
import { PlaceholderLensProvider, placeholderSelector } from './placeholderLens';
import { PlaceholderRunner, type FillResult } from './placeholderRunner';

/** The in-editor features of issue #15: placeholders, drop, Show Image Info. */
export function registerEditorFeatures(deps: { readonly generation: GenerationService; readonly log: Log }): vscode.Disposable {
  const runner = new PlaceholderRunner(deps.generation, deps.log);
  return vscode.Disposable.from(
    runner,
    vscode.languages.registerCodeLensProvider(placeholderSelector, new PlaceholderLensProvider(runner)),
    vscode.commands.registerCommand(commandIds.generatePlaceholders, (uri?: vscode.Uri, only?: number[], options?: { confirmed?: boolean }) =>
      generatePlaceholders(runner, uri, only, options?.confirmed === true),),
    vscode.commands.registerCommand(commandIds.showImageInfo, (uri?: vscode.Uri) =>
      showImageInfoCommand({ log: deps.log, entries: () => deps.generation.historyEntries() }, uri instanceof vscode.Uri ? uri : undefined),
    ),
    registerImageDrop(),
  );
}

/** GPT Image: Generate Missing Images, and the CodeLenses (which pass the document and offsets). */
/**
 * `confirmed: true` (third argument) skips the batch's cost confirmation, for callers that asked the
 * user already (and tests); the daily budget and gptImage.confirmAboveUsd per request still apply.
 */
async function generatePlaceholders(runner: PlaceholderRunner, uri?: vscode.Uri, only?: unknown, confirmed = false): Promise<FillResult | undefined> {
  const document = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!document || !['markdown', 'mdx'].includes(document.languageId)) {
    void notify('info', 'GPT Image: Generate Missing Images works in Markdown and MDX files; open one with ![a description]() placeholders.');
    return undefined;
  }
  const offsets = Array.isArray(only) ? only.filter((value): value is number => Number.isInteger(value)) : undefined;
  return runner.fill(document, offsets, confirmed);
}
