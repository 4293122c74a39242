import * as vscode from 'vscode';
import { readConfig } from '../common/config';
import { showError } from '../common/errorReporting';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import { describeSaveFolder, savedImagesMessage } from '../core/noticeMessages';
import type { SaveTarget } from '../core/engine';
import type { GenerationRequest } from '../core/types';
import { InsertAnchor } from '../editor/insertAnchor';
import { revealImage } from '../editor/imageActions';
import { insertImageLinks, type InsertTarget } from '../editor/insertLinks';
import type { GenerationOutcome, GenerationOverrides } from '../generation/generationService';
import { describeCost } from '../generation/costGuard';
import { chooseSaveTarget } from '../generation/saveTarget';
import { plural } from '../shared/labels';
import { plainText } from '../shared/plainText';
import type { CommandDeps } from './registerCommands';
import { askForPrompt, type PromptDefaults } from './promptInput';

/** Optional arguments of `gptImage.generate`, for keybindings and tasks: with a prompt, no input box. */
export interface GenerateArgs extends GenerationOverrides {
  readonly prompt?: string;
}

/** Generate Image…: prompt → validated request → save target → progress with Cancel → insert or offer. */
export async function generateCommand(deps: CommandDeps, args: GenerateArgs = {}): Promise<GenerationOutcome | undefined> {
  // The Output panel (e.g. the GPT Image log) is a text editor too, but never a place for links.
  const active = vscode.window.activeTextEditor;
  const editor = active?.document.uri.scheme === 'output' ? undefined : active;
  // Remembered now, kept in place while the user edits during the generation; released once the links
  // are in or the user has answered the notification.
  const anchor = editor
    ? new InsertAnchor(editor.document, editor.selection, editor.selection.isEmpty ? 'cursor' : 'afterLine')
    : undefined;
  const insertTarget: InsertTarget | undefined = editor
    ? { document: editor.document, viewColumn: editor.viewColumn, anchor }
    : undefined;
  let run: Run | undefined;
  try {
    const resource = editor?.document.uri;
    const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
    // Keybinding arguments override settings whether or not they carry a prompt.
    const { prompt, ...argOverrides } = args;
    const answer =
      prompt !== undefined
        ? { prompt, overrides: {} }
        : await askForPrompt(selected, { ...promptDefaults(resource), ...argOverrides });
    if (!answer) return undefined;
    const request = deps.generation.buildRequest(answer.prompt, { ...argOverrides, ...answer.overrides }, resource);
    const target = await chooseSaveTarget(editor?.document, request.outputFormat);
    if (target) run = { request, target, resource, insertTarget };
  } catch (error) {
    // Not awaited: the notification stays until dismissed, and the command has finished either way.
    void showError(error, deps.log);
  } finally {
    if (!run) anchor?.dispose();
  }
  return run ? generateRun(deps, run) : undefined;
}

/** One generation of the palette: what Try Again sends once more, exactly as it was (issue #11). */
interface Run {
  readonly request: GenerationRequest;
  readonly target: SaveTarget;
  readonly resource: vscode.Uri | undefined;
  /** Owned by the run: disposed when its notification is answered (or by the run Try Again starts). */
  readonly insertTarget: InsertTarget | undefined;
}

/** Progress with Cancel → generate → insert or offer; a failure's notification offers Try Again. */
async function generateRun(deps: CommandDeps, run: Run): Promise<GenerationOutcome | undefined> {
  const { request, target, resource, insertTarget } = run;
  let keepAnchor = false;
  try {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'GPT Image', cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        const started = Date.now();
        // A progress notification renders links too; the request is validated, plainText keeps it so.
        const what = plainText(`Generating ${plural(request.n, 'image')} (${request.size}, ${request.quality ?? 'auto'} quality)`);
        progress.report({ message: `${what}…` });
        const timer = setInterval(
          () => progress.report({ message: `${what}… ${Math.round((Date.now() - started) / 1000)} s` }),
          1000,
        );
        // With the Studio open, the previews show there too (issue #14); the notification stays.
        const watch = deps.generation.palettePreviews(request, resource);
        return deps.generation
          .generate(request, target, controller.signal, resource, undefined, { previews: watch.previews })
          .then(
            (outcome) => (watch.end(false), outcome),
            (error: unknown) => {
              // The palette reports the failure itself; the Studio's Try Again would run its own form.
              watch.end(false);
              throw error;
            },
          )
          .finally(() => {
            clearInterval(timer);
            subscription.dispose();
          });
      },
    );
    keepAnchor = await afterGenerate(deps.log, outcome, target, insertTarget, resource);
    return outcome;
  } catch (error) {
    // Not awaited: the notification stays until dismissed, and the command has finished either way.
    // Try Again hands the anchor to the new run, so the links still go where the user was.
    keepAnchor = true;
    let again = false;
    void showError(error, deps.log, {
      tryAgain: () => {
        again = true;
        return generateRun(deps, run);
      },
    }).finally(() => {
      if (!again) insertTarget?.anchor?.dispose();
    });
    return undefined;
  } finally {
    if (!keepAnchor) insertTarget?.anchor?.dispose();
  }
}

export function promptDefaults(resource: vscode.Uri | undefined): PromptDefaults {
  const config = readConfig(resource);
  return {
    model: config.model,
    size: config.size,
    quality: config.quality,
    n: config.count,
    outputFormat: config.outputFormat,
    background: config.background,
  };
}

/**
 * Per `gptImage.insertAfterGenerate`: insert at once, only save, or ask with Insert · Open · Reveal.
 * When the links cannot go in (read-only document) the user still gets the notification. Returns true
 * when the notification now owns the insert target's anchor (it disposes it once answered).
 */
async function afterGenerate(
  log: Log,
  outcome: GenerationOutcome,
  target: SaveTarget,
  insertTarget: InsertTarget | undefined,
  resource: vscode.Uri | undefined,
): Promise<boolean> {
  const mode = readConfig(resource).insertAfterGenerate;
  const alt = outcome.request.prompt;
  if (mode === 'always' && insertTarget && (await insertImageLinks(insertTarget, outcome.files, alt))) return false;
  const where = describeSaveFolder(outcome.files[0].fsPath, target);
  // A document closed meanwhile (an untitled one saved under a name) is no target any more.
  const canInsert = insertTarget !== undefined && !insertTarget.document.isClosed && mode !== 'never';
  const actions = [...(canInsert ? ['Insert'] : []), 'Open', 'Reveal in Explorer'];
  // The command is done once the files are saved; the buttons act whenever the user gets to them.
  void notify('info', `${savedImagesMessage(outcome.files.length, where)} · cost ${describeCost(outcome.cost)}`, actions)
    .then(async (picked) => {
      if (picked === 'Insert' && insertTarget) {
        if (!(await insertImageLinks(insertTarget, outcome.files, alt))) {
          void notify('warning', 'GPT Image: the document was closed or is read-only; the links were not inserted.');
        }
      }
      if (picked === 'Open') {
        for (const file of outcome.files) await vscode.commands.executeCommand('vscode.open', file, { preview: false });
      }
      if (picked === 'Reveal in Explorer') await revealImage(outcome.files[0]);
    })
    .then(undefined, (error: unknown) => showError(error, log))
    .then(() => insertTarget?.anchor?.dispose());
  return true;
}
