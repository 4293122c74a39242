import * as vscode from 'vscode';
import { readConfig } from '../common/config';
import { showError } from '../common/errorReporting';
import type { SaveTarget } from '../core/engine';
import type { GenerationRequest } from '../core/types';
import { InsertAnchor } from '../editor/insertAnchor';
import type { InsertTarget } from '../editor/insertLinks';
import { showGenerationResult } from '../editor/showResults';
import type { GenerationOutcome, GenerationOverrides } from '../generation/generationService';
import { chooseSaveTarget } from '../generation/saveTarget';
import { plural } from '../shared/labels';
import { plainText } from '../shared/plainText';
import type { CommandDeps } from './registerCommands';
import { askForPrompt, type PromptDefaults } from './promptInput';

/** Optional arguments of `gptImage.generate`, for keybindings and tasks: with a prompt, no input box. */
export interface GenerateArgs extends GenerationOverrides {
  readonly prompt?: string;
  /** Pre-fills the prompt box instead of the selection (Show Image Info's Reuse Prompt); nothing is sent unconfirmed. */
  readonly promptDraft?: string;
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
    const { prompt, promptDraft, ...argOverrides } = args;
    const answer =
      prompt !== undefined
        ? { prompt, overrides: {} }
        : await askForPrompt(typeof promptDraft === 'string' ? promptDraft : selected, { ...promptDefaults(resource), ...argOverrides });
    if (!answer) return undefined;
    const request = deps.generation.buildRequest(answer.prompt, { ...argOverrides, ...answer.overrides }, resource);
    const target = await chooseSaveTarget(editor?.document, request.outputFormat);
    if (target) run = { request, target, resource, insertTarget };
  } catch (error) {
    // Not awaited: the notification stays until dismissed, and the command has finished either way.
    void showError(error, deps.log, { action: 'Image generation' });
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
    keepAnchor = await showGenerationResult(deps.log, outcome, target, insertTarget, resource);
    return outcome;
  } catch (error) {
    // Not awaited: the notification stays until dismissed, and the command has finished either way.
    // Try Again hands the anchor to the new run, so the links still go where the user was.
    keepAnchor = true;
    let again = false;
    void showError(error, deps.log, {
      action: 'Image generation',
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
