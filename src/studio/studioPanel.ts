import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LastEditorTracker } from '../common/editorTarget';
import { configSection, readConfig } from '../common/config';
import { Disposable } from '../common/dispose';
import { logError, runErrorAction, showError } from '../common/errorReporting';
import { describeError } from '../core/errorMessages';
import { ImageApiError } from '../core/errors';
import { isInside } from '../core/paths';
import type { GenerationRequest } from '../core/types';
import { fileExists, revealImage } from '../editor/imageActions';
import { insertImageLinks, linkText } from '../editor/insertLinks';
import { resolveStoredPath, type FolderLike, type HistoryEntry } from '../generation/history';
import { workspaceFileFolders } from '../generation/historyFiles';
import { chooseSaveTarget } from '../generation/saveTarget';
import { imageCommandLabels, plural } from '../shared/labels';
import {
  isFromWebview,
  isOutcome,
  type FromWebview,
  type GalleryEntry,
  type ImageCommand,
  type ImageRef,
  type OutcomeMessage,
  type StudioDefaults,
  type StudioOptions,
  type ToWebview,
} from '../shared/protocol';
import {
  elapsedSince,
  galleryEntryFor,
  sameUris,
  studioDefaults,
  studioResourceRoots,
} from './galleryModel';
import type { StudioDeps } from './registerStudio';
import { renderStudioHtml } from './studioHtml';

export const panelTitle = 'Image Studio';

interface Run {
  readonly controller: AbortController;
  readonly prompt: string;
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout;
}

export class StudioPanel extends Disposable {
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private run: Run | undefined;
  private roots: readonly vscode.Uri[];
  /** The last outcome posted while the panel was hidden (and so dropped), replayed in the next `init`. */
  private missed: OutcomeMessage | undefined;

  static webviewOptions(extensionUri: vscode.Uri, entries: readonly HistoryEntry[]): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: studioResourceRoots(extensionUri, entries) };
  }

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly deps: StudioDeps,
    private readonly editors: LastEditorTracker,
  ) {
    super();
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const options = StudioPanel.webviewOptions(extensionUri, deps.generation.historyEntries());
    this.roots = options.localResourceRoots ?? [];
    panel.title = panelTitle;
    panel.iconPath = {
      light: vscode.Uri.joinPath(media, 'studio-light.svg'),
      dark: vscode.Uri.joinPath(media, 'studio-dark.svg'),
    };
    panel.webview.options = options;
    panel.webview.html = renderStudioHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });

    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration(configSection)) return;
        this.updateRoots();
        this.post({ type: 'defaults', defaults: this.defaults() });
      }),
    );
    this._register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.updateRoots();
        void this.postEntries();
      }),
    );
    this._register(deps.keys.onDidChange(() => void this.postHasKey()));
    // Every surface's generations, and files deleted or moved, reach an open gallery at once.
    this._register(
      deps.generation.onDidChangeHistory(() => {
        this.updateRoots();
        this.post({ type: 'entries', entries: this.galleryEntries() });
      }),
    );
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.run?.controller.abort();
    this.stopTimer();
    super.dispose();
    // Fired after the subscriptions are released: the panel's own onDidDispose cannot come back here.
    this.disposed.fire();
    this.disposed.dispose();
    this.panel.dispose();
  }

  /** Security: everything from the webview is untrusted; malformed messages are dropped and logged. */
  private receive(raw: unknown): void {
    if (!isFromWebview(raw)) {
      const type = typeof raw === 'object' && raw !== null ? String((raw as { type?: unknown }).type).slice(0, 40) : typeof raw;
      this.deps.log.warn(`Image Studio: ignored an invalid message (type ${type}).`);
      return;
    }
    const action = raw.type in imageCommandLabels ? imageCommandLabels[raw.type as ImageCommand] : undefined;
    void this.handle(raw).catch((error: unknown) => this.postError(error, false, action));
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.sendInit();
      case 'generate':
        return this.generate(message.prompt, message.options);
      case 'cancel':
        this.run?.controller.abort();
        return;
      case 'insert':
        return this.insert(message);
      case 'open':
        return this.open(message);
      case 'reveal':
        return this.revealFile(message);
      case 'copyLink':
        return this.copyLink(message);
      case 'errorAction':
        return runErrorAction(message.action);
    }
  }

  private async sendInit(): Promise<void> {
    await this.deps.generation.pruneHistory();
    const hasKey = await this.hasKey();
    const run = this.run;
    const missed = this.missed;
    this.missed = undefined;
    this.post({
      type: 'init',
      defaults: this.defaults(),
      hasKey,
      entries: this.galleryEntries(),
      running: run ? { prompt: run.prompt, elapsedSeconds: elapsedSince(run.startedAt) } : undefined,
      missed,
    });
  }

  private async generate(prompt: string, options: StudioOptions): Promise<void> {
    if (this.run) {
      this.post({ type: 'status', message: 'A generation is already running: cancel it first or wait for it.' });
      return;
    }
    const editor = this.editors.get();
    const resource = editor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    let request: GenerationRequest;
    try {
      request = this.deps.generation.buildRequest(prompt, options, resource);
    } catch (error) {
      this.postError(error, true);
      return;
    }
    const controller = new AbortController();
    const startedAt = Date.now();
    this.run = {
      controller,
      prompt,
      startedAt,
      timer: setInterval(() => this.post({ type: 'progress', elapsedSeconds: elapsedSince(startedAt) }), 1000),
    };
    this.post({ type: 'started', prompt });
    try {
      // Decided before the request so the files land next to the document the user was working on.
      const target = await chooseSaveTarget(editor?.document, request.outputFormat);
      if (!target) {
        this.post({ type: 'stopped', message: 'No save location chosen. Nothing was generated.' });
        return;
      }
      // Cancel may have been pressed while a folder picker or save dialog was open.
      if (controller.signal.aborted) throw new ImageApiError('cancelled', 'Generation cancelled.');
      const outcome = await this.deps.generation.generate(request, target, controller.signal, resource, options);
      const entry = outcome.entry;
      this.updateRoots();
      const seconds = elapsedSince(startedAt);
      const where = [...new Set(outcome.files.map((file) => vscode.workspace.asRelativePath(path.dirname(file.fsPath))))];
      this.post({
        type: 'result',
        entry: this.galleryEntry(entry),
        message: `Generated ${plural(outcome.files.length, 'image')} in ${seconds} s, saved in ${where.join(', ')}.`,
      });
    } catch (error) {
      this.postError(error, true);
    } finally {
      this.stopTimer();
      this.run = undefined;
    }
  }

  private async insert(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    const editor = this.editors.get();
    if (!editor) {
      this.post({
        type: 'error',
        message: 'Open a text editor first: Insert puts the link at its cursor.',
        actions: [],
        endsRun: false,
      });
      return;
    }
    const inserted = await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, [image.uri], image.entry.prompt);
    this.post({
      type: 'status',
      message: inserted
        ? `Inserted a link to ${vscode.workspace.asRelativePath(image.uri)} into ${path.basename(editor.document.fileName)}.`
        : 'The link could not be inserted: the editor is read-only or changed meanwhile.',
    });
  }

  private async open(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    const viewColumn = this.editors.get()?.viewColumn ?? vscode.ViewColumn.One;
    await vscode.commands.executeCommand('vscode.open', image.uri, { viewColumn, preview: true });
  }

  private async revealFile(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    await revealImage(image.uri);
  }

  private async copyLink(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    const text = linkText(this.editors.get()?.document, image.uri, image.entry.prompt);
    await vscode.env.clipboard.writeText(text);
    this.post({ type: 'status', message: `Copied the link to ${vscode.workspace.asRelativePath(image.uri)}.` });
  }

  /** The file behind an id + index, or undefined (and a refreshed gallery) when it is gone. */
  private async resolveImage(ref: ImageRef): Promise<{ entry: HistoryEntry; uri: vscode.Uri } | undefined> {
    const entry = this.deps.generation.historyEntry(ref.id);
    const file = entry?.files[ref.index];
    const absolute = entry && file ? resolveStoredPath(entry, file, workspaceFileFolders()) : undefined;
    if (entry && absolute && (await fileExists(vscode.Uri.file(absolute)))) {
      return { entry, uri: vscode.Uri.file(absolute) };
    }
    this.post({ type: 'status', message: 'That image no longer exists; it was removed from the gallery.' });
    await this.postEntries();
    return undefined;
  }

  /** `endsRun`: the error ended the generation (the webview leaves its running state only then); `action` names a non-generation failure. */
  private postError(error: unknown, endsRun = false, action?: string): void {
    // The user may not look at a hidden panel for a while: say it where they are, too. showError logs
    // the detail itself, so only one of the two logs it.
    const hidden = !this.isDisposed && !this.panel.visible;
    if (hidden) void showError(error, this.deps.log, { action });
    const description = hidden ? describeError(error, { action }) : logError(error, this.deps.log, { action });
    if (description.kind === 'cancelled') {
      this.post({ type: 'stopped', message: description.message });
    } else {
      this.post({ type: 'error', message: description.message, actions: description.actions, endsRun });
    }
  }

  private async postEntries(): Promise<void> {
    await this.deps.generation.pruneHistory();
    this.post({ type: 'entries', entries: this.galleryEntries() });
  }

  private async postHasKey(): Promise<void> {
    this.post({ type: 'hasKey', hasKey: await this.hasKey() });
  }

  private async hasKey(): Promise<boolean> {
    // Security: only a boolean crosses into the webview, never the key.
    return (await this.deps.keys.get()) !== undefined;
  }

  private galleryEntries(): GalleryEntry[] {
    const open = workspaceFileFolders();
    return this.deps.generation.historyEntries().map((entry) => this.galleryEntry(entry, open));
  }

  private galleryEntry(entry: HistoryEntry, open: readonly FolderLike[] = workspaceFileFolders()): GalleryEntry {
    return galleryEntryFor(entry, open, (uri) =>
      this.isUnderRoots(uri) ? this.panel.webview.asWebviewUri(uri).toString() : undefined,
    );
  }

  private defaults(): StudioDefaults {
    const editor = this.editors.get();
    const config = readConfig(editor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri);
    const { defaults, problems } = studioDefaults(config);
    this.deps.generation.reportSettingProblems(problems);
    return defaults;
  }

  /** Roots change with assetsFolder and workspace folders; setting options reloads the webview, so only on change. */
  private updateRoots(): void {
    const roots = studioResourceRoots(this.extensionUri, this.deps.generation.historyEntries());
    if (sameUris(roots, this.roots)) return;
    this.roots = roots;
    this.panel.webview.options = { enableScripts: true, localResourceRoots: roots };
  }

  private isUnderRoots(uri: vscode.Uri): boolean {
    return this.roots.some((root) => isInside(root.fsPath, uri.fsPath));
  }

  private stopTimer(): void {
    if (this.run) clearInterval(this.run.timer);
  }

  private post(message: ToWebview): void {
    if (this.isDisposed) return;
    // Without retainContextWhenHidden a hidden webview is gone and drops what is posted; it asks again
    // with `ready` when shown. A new run makes an older outcome moot.
    if (isOutcome(message)) this.missed = this.panel.visible ? undefined : message;
    else if (message.type === 'started') this.missed = undefined;
    void this.panel.webview.postMessage(message);
  }
}
