import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandIds } from './common/ids';
import { readConfig } from './common/config';
import { describeSaveFolder, savedImagesMessage } from './core/noticeMessages';
import { resolveAssetsDir } from './core/paths';
import type { SaveTarget } from './core/pipeline';
import { showError } from './common/errorReporting';
import type { GenerationOutcome, GenerationOverrides, GenerationService } from './generation/generationService';
import { chooseSaveTarget } from './generation/saveTarget';
import { InsertAnchor, insertImageLinks, type InsertTarget } from './insert';
import type { Log } from './common/log';
import { notify } from './common/notify';
import { askForPrompt, type PromptDefaults } from './promptInput';
import { imageExtensions, plural } from './shared/labels';
import { plainText } from './shared/plainText';
import { apiKeyEnvVar, type ApiKeyStore } from './common/secrets';

export interface CommandDeps {
  readonly generation: GenerationService;
  readonly keys: ApiKeyStore;
  readonly log: Log;
}

const imageGlob = `**/*.{${imageExtensions.join(',')}}`;

/** Optional arguments of `gptImage.generate`, for keybindings and tasks: with a prompt, no input box. */
export interface GenerateArgs extends GenerationOverrides {
  readonly prompt?: string;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(commandIds.generate, (args?: GenerateArgs) => generateCommand(deps, args)),
    vscode.commands.registerCommand(commandIds.setApiKey, () => setApiKeyCommand(deps.keys)),
    vscode.commands.registerCommand(commandIds.clearApiKey, () => clearApiKeyCommand(deps.keys)),
    vscode.commands.registerCommand(commandIds.insertImage, () => insertImageCommand(deps.log)),
    vscode.commands.registerCommand(commandIds.insertImageFromExplorer, (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      insertFromExplorerCommand(deps.log, uris?.length ? uris : uri ? [uri] : []),
    ),
    vscode.commands.registerCommand(commandIds.showLog, () => deps.log.show()),
  );
}

/** Generate Image…: prompt → validated request → save target → progress with Cancel → insert or offer. */
async function generateCommand(deps: CommandDeps, args: GenerateArgs = {}): Promise<GenerationOutcome | undefined> {
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
  let keepAnchor = false;
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
    if (!target) return undefined;

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
        return deps.generation.generate(request, target, controller.signal, resource).finally(() => {
          clearInterval(timer);
          subscription.dispose();
        });
      },
    );
    keepAnchor = await afterGenerate(deps.log, outcome, target, insertTarget, resource);
    return outcome;
  } catch (error) {
    // Not awaited: the notification stays until dismissed, and the command has finished either way.
    void showError(error, deps.log);
    return undefined;
  } finally {
    if (!keepAnchor) anchor?.dispose();
  }
}

function promptDefaults(resource: vscode.Uri | undefined): PromptDefaults {
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
  void notify('info', savedImagesMessage(outcome.files.length, where), actions)
    .then(async (picked) => {
      if (picked === 'Insert' && insertTarget) {
        if (!(await insertImageLinks(insertTarget, outcome.files, alt))) {
          void notify('warning', 'GPT Image: the document was closed or is read-only; the links were not inserted.');
        }
      }
      if (picked === 'Open') {
        for (const file of outcome.files) await vscode.commands.executeCommand('vscode.open', file, { preview: false });
      }
      if (picked === 'Reveal in Explorer') await reveal(outcome.files[0]);
    })
    .then(undefined, (error: unknown) => showError(error, log))
    .then(() => insertTarget?.anchor?.dispose());
  return true;
}

/** The Explorer shows only workspace files; anything else (a save-dialog location) opens in the OS. */
async function reveal(file: vscode.Uri): Promise<void> {
  const inWorkspace = vscode.workspace.getWorkspaceFolder(file) !== undefined;
  await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', file);
}

async function setApiKeyCommand(keys: ApiKeyStore): Promise<void> {
  const key = await keys.prompt();
  if (key) void notify('info', 'GPT Image: API key saved in secret storage.');
}

async function clearApiKeyCommand(keys: ApiKeyStore): Promise<void> {
  if (!(await keys.hasStored())) {
    void notify('info', 'GPT Image: no API key is stored.');
    return;
  }
  const choice = await notify('warning', 'Remove the stored GPT Image API key from secret storage?', ['Clear API Key'], {
    modal: true,
  });
  if (choice !== 'Clear API Key') return;
  await keys.clear();
  const stillFromEnv = Boolean(process.env[apiKeyEnvVar]?.trim());
  void notify(
    'info',
    stillFromEnv
      ? `GPT Image: API key removed. The ${apiKeyEnvVar} environment variable will still be used.`
      : 'GPT Image: API key removed.',
  );
}

/** Insert Image…: pick an image of the assets folder (newest first) or browse, then link it at the cursor. */
async function insertImageCommand(log: Log): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void notify('warning', 'GPT Image: open a text editor to insert an image into.');
    return;
  }
  try {
    const picked = await pickImage(editor.document);
    if (!picked) return;
    await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, [picked], altFromFile(picked));
  } catch (error) {
    void showError(error, log);
  }
}

async function insertFromExplorerCommand(log: Log, files: readonly vscode.Uri[]): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor || files.length === 0) {
    void notify('warning', 'GPT Image: open a text editor to insert the image into.');
    return;
  }
  try {
    await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, files, altFromFile(files[0]));
  } catch (error) {
    void showError(error, log);
  }
}

async function pickImage(document: vscode.TextDocument): Promise<vscode.Uri | undefined> {
  const folder =
    vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.workspaceFolders?.[0] ?? undefined;
  const browse = { label: '$(folder-opened) Browse…', description: 'Choose an image file anywhere' };
  let items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = [];
  if (folder) {
    const assets = resolveAssetsDir(folder.uri.fsPath, readConfig(folder.uri).assetsFolder);
    // No exclude argument: the user's files.exclude applies.
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(assets), imageGlob), undefined, 500);
    const dated = await Promise.all(
      uris.map(async (uri) => ({ uri, mtime: (await vscode.workspace.fs.stat(uri)).mtime })),
    );
    dated.sort((a, b) => b.mtime - a.mtime);
    items = dated.map(({ uri, mtime }) => ({
      label: path.basename(uri.fsPath),
      description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath), false),
      detail: new Date(mtime).toLocaleString(),
      iconPath: vscode.ThemeIcon.File,
      resourceUri: uri,
      uri,
    }));
  }
  const choice = await vscode.window.showQuickPick([...items, browse], {
    title: 'GPT Image: Insert Image',
    placeHolder: items.length ? 'Pick an image to insert at the cursor' : 'No images in the assets folder yet',
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if ('uri' in choice && choice.uri) return choice.uri;
  const browsed = await vscode.window.showOpenDialog({
    canSelectMany: false,
    defaultUri: folder?.uri,
    filters: { Images: [...imageExtensions] },
    openLabel: 'Insert',
  });
  return browsed?.[0];
}

/** `sunset-over-sea-20261125-101500.png` → `sunset over sea`. */
function altFromFile(file: vscode.Uri): string {
  const base = path.basename(file.fsPath, path.extname(file.fsPath));
  return base.replace(/-\d{8}-\d{6}(-\d+)?$/, '').replace(/[-_]+/g, ' ').trim() || 'image';
}
