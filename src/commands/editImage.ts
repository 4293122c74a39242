import * as path from 'node:path';
import * as vscode from 'vscode';
import { showError } from '../common/errorReporting';
import { notify } from '../common/notify';
import { InsertAnchor } from '../editor/insertAnchor';
import { insertImageLinks, type InsertTarget } from '../editor/insertLinks';
import { countImageLinks, replaceImageLinks } from '../editor/replaceLinks';
import type { GenerationOutcome, GenerationOverrides } from '../generation/generationService';
import type { EditSources, PreparedEdit } from '../generation/editSources';
import { plural } from '../shared/labels';
import { plainText, quoteValue } from '../shared/plainText';
import { promptDefaults } from './generateImage';
import { pickAssetImage } from './pickImage';
import { askForPrompt } from './promptInput';
import type { CommandDeps } from './registerCommands';

/** The formats the edit endpoint takes (GIF and SVG are offered by Insert Image…, not here). */
export const editableExtensions: readonly string[] = ['png', 'jpg', 'jpeg', 'webp'];

/**
 * Optional arguments of `gptImage.editImage`, for keybindings, tasks and tests. With `prompt`, no input
 * box; `then` picks the follow-up instead of asking (Insert / Open / Replace Link).
 */
export interface EditImageArgs extends GenerationOverrides {
  /** The first is edited, the others are references (workspace files). */
  readonly images?: readonly (vscode.Uri | string)[];
  /** A PNG mask file in the same workspace folder: transparent where the image should change. */
  readonly mask?: vscode.Uri | string;
  readonly prompt?: string;
  readonly then?: 'ask' | 'insert' | 'open' | 'replaceLink' | 'none';
}

/**
 * Edit Image…: the image(s) from the Explorer selection, the editor title, the arguments or a pick of
 * the assets folder → prompt and options → validated edit → progress with Cancel → new files beside the
 * original → Insert / Open / Replace Link for the active document.
 */
export async function editImageCommand(deps: CommandDeps, first?: unknown, second?: unknown): Promise<GenerationOutcome | undefined> {
  const active = vscode.window.activeTextEditor;
  const editor = active?.document.uri.scheme === 'output' ? undefined : active;
  const anchor = editor ? new InsertAnchor(editor.document, editor.selection, 'cursor') : undefined;
  const insertTarget: InsertTarget | undefined = editor ? { document: editor.document, viewColumn: editor.viewColumn, anchor } : undefined;
  let keepAnchor = false;
  try {
    const args = isArgs(first) ? first : {};
    const images = await chooseImages(first, second, args, editor?.document);
    if (!images) return undefined;
    const { prompt, images: _images, mask: maskArg, then, ...argOverrides } = args;
    const resource = images[0];
    const answer =
      prompt !== undefined
        ? { prompt, overrides: {} }
        : await askForPrompt('', { ...promptDefaults(resource), ...argOverrides }, {
            // A repository names the file: plain, so `$(icon)` or link syntax in it stays text.
            title: plainText(`GPT Image: Edit ${path.basename(resource.fsPath)}`),
            describe: `Describe the change to ${plural(images.length, 'image').replace(/^1 image$/, 'the image')}${images.length > 1 ? ' (the first is edited, the others are references)' : ''}.`,
          });
    if (!answer) return undefined;
    const sources: EditSources = { images, ...(maskArg !== undefined && { mask: toUri(maskArg) }) };
    const prepared = await deps.generation.buildEdit(answer.prompt, sources, { ...argOverrides, ...answer.overrides });
    const outcome = await runWithProgress(deps, prepared);
    keepAnchor = await afterEdit(deps, outcome, images[0], insertTarget, then ?? 'ask');
    return outcome;
  } catch (error) {
    void showError(error, deps.log, { action: 'Edit' });
    return undefined;
  } finally {
    if (!keepAnchor) anchor?.dispose();
  }
}

function isArgs(value: unknown): value is EditImageArgs {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value);
}

function toUri(value: vscode.Uri | string): vscode.Uri {
  return typeof value === 'string' ? vscode.Uri.file(value) : value;
}

function isEditable(uri: vscode.Uri): boolean {
  return editableExtensions.includes(path.extname(uri.path).slice(1).toLowerCase());
}

/**
 * Explorer: the clicked file plus the rest of the selection (the clicked one first); editor title: its
 * file; arguments: their images; otherwise a pick of the assets folder. Files of other types in a
 * selection are left out (the bytes are checked later anyway).
 */
async function chooseImages(first: unknown, second: unknown, args: EditImageArgs, document: vscode.TextDocument | undefined): Promise<[vscode.Uri, ...vscode.Uri[]] | undefined> {
  const [given, ...more] = args.images ?? [];
  if (given !== undefined) return [toUri(given), ...more.map(toUri)];
  if (first instanceof vscode.Uri) {
    const selection = Array.isArray(second) ? second.filter((item): item is vscode.Uri => item instanceof vscode.Uri) : [];
    const rest = selection.filter((uri) => uri.toString() !== first.toString() && isEditable(uri));
    return [first, ...rest];
  }
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && isEditable(tab.uri)) return [tab.uri];
  const folder = (document && vscode.workspace.getWorkspaceFolder(document.uri)) ?? vscode.workspace.workspaceFolders?.[0];
  const picked = await pickAssetImage(folder, {
    title: 'GPT Image: Edit Image',
    placeHolder: 'Pick the image to edit',
    emptyPlaceHolder: 'No PNG, JPEG or WebP images in the assets folder yet: browse for one',
    extensions: editableExtensions,
    openLabel: 'Edit',
  });
  return picked ? [picked] : undefined;
}

function runWithProgress(deps: CommandDeps, prepared: PreparedEdit): Thenable<GenerationOutcome> {
  const { request } = prepared;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'GPT Image', cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    const started = Date.now();
    const what = plainText(`Editing ${quoteValue(prepared.target.original, 60)}${request.mask ? ' with a mask' : ''} (${plural(request.n, 'result')})`);
    progress.report({ message: `${what}…` });
    const timer = setInterval(() => progress.report({ message: `${what}… ${Math.round((Date.now() - started) / 1000)} s` }), 1000);
    return deps.generation.edit(prepared, controller.signal).finally(() => {
      clearInterval(timer);
      subscription.dispose();
    });
  });
}

/**
 * Insert (links at the cursor), Open (the results), Replace Link (links to the original in the active
 * document now point at the first result: one WorkspaceEdit, one Undo). Returns true when the
 * notification now owns the insert anchor.
 */
async function afterEdit(
  deps: CommandDeps,
  outcome: GenerationOutcome,
  original: vscode.Uri,
  insertTarget: InsertTarget | undefined,
  then: NonNullable<EditImageArgs['then']>,
): Promise<boolean> {
  const [result] = outcome.files;
  if (result === undefined) return false; // not reached: an outcome has at least one file
  const alt = outcome.request.prompt;
  const act = async (picked: string | undefined): Promise<void> => {
    if (picked === 'Insert' && insertTarget && !(await insertImageLinks(insertTarget, outcome.files, alt))) {
      void notify('warning', 'GPT Image: the document was closed or is read-only; the links were not inserted.');
    }
    if (picked === 'Open') for (const file of outcome.files) await vscode.commands.executeCommand('vscode.open', file, { preview: false });
    if (picked === 'Replace Link' && insertTarget) {
      const count = await replaceImageLinks(insertTarget.document, original, result);
      void notify(count ? 'info' : 'warning', count ? `GPT Image: ${plural(count, 'link')} now point${count === 1 ? 's' : ''} at the edit (Undo restores ${count === 1 ? 'it' : 'them'}).` : 'GPT Image: no link was replaced (the document changed, was closed or is read-only).');
    }
  };
  if (then !== 'ask') {
    await act({ insert: 'Insert', open: 'Open', replaceLink: 'Replace Link', none: undefined }[then]);
    return false;
  }
  const canInsert = insertTarget !== undefined && !insertTarget.document.isClosed;
  const canReplace = canInsert && countImageLinks(insertTarget.document, original) > 0;
  const actions = [...(canInsert ? ['Insert'] : []), 'Open', ...(canReplace ? ['Replace Link'] : [])];
  const where = vscode.workspace.asRelativePath(path.dirname(result.fsPath), false);
  const message = plainText(`Saved ${plural(outcome.files.length, 'edited image')} beside ${path.basename(original.fsPath)} in ${where}/`);
  void notify('info', message, actions)
    .then(act)
    .then(undefined, (error: unknown) => showError(error, deps.log, { action: 'Edit' }))
    .then(() => insertTarget?.anchor?.dispose());
  return true;
}
