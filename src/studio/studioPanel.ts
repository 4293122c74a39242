import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LastEditorTracker } from '../common/editorTarget';
import { configSection, readConfig } from '../common/config';
import { Disposable } from '../common/dispose';
import { logError, runErrorAction, showError, timeoutSetting } from '../common/errorReporting';
import { describeError } from '../core/errorMessages';
import { ImageApiError } from '../core/errors';
import { isInside } from '../core/paths';
import type { GenerationRequest } from '../core/types';
import type { HistoryEntry } from '../generation/history';
import { workspaceFileFolders } from '../generation/historyFiles';
import { chooseSaveTarget } from '../generation/saveTarget';
import { imageCommandLabels, plural } from '../shared/labels';
import {
  isFromWebview,
  isOutcome,
  type GalleryEntry,
  type ImageCommand,
  type RunId,
  type StudioDefaults,
  type ToWebview,
} from '../shared/protocol';
import type { ImageOptions } from '../shared/options';
import { toggleKeep, discardOthers, openParent } from './variantActions';
import { dispatchFromWebview, panelMessageHandlers } from './panelMessages';
import { elapsedSince, galleryEntryFor, galleryLineage, sameUris, studioCostInfo, studioDefaults, studioResourceRoots } from './galleryModel';
import { streamPreviews, watchPreviews } from './streamPreviews';
import { GalleryActions } from './galleryActions';
import type { StudioDeps } from './registerStudio';
import { renderStudioHtml } from './studioHtml';
import { StudioRuns, type ActiveRun } from './studioRuns';
import { StudioEdits } from './studioEdits';

export const panelTitle = 'Image Studio';

export class StudioPanel extends Disposable {
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private readonly runs = new StudioRuns();
  private readonly actions: GalleryActions;
  private readonly edits: StudioEdits;
  private roots: readonly vscode.Uri[];
  /**
   * The webview has sent `ready` since it was last shown. Without retainContextWhenHidden a hidden
   * webview is gone and drops what is posted; a shown one drops it too until its script has loaded.
   */
  private webviewReady = false;

  static webviewOptions(extensionUri: vscode.Uri, entries: readonly HistoryEntry[], previewDir?: vscode.Uri): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: studioResourceRoots(extensionUri, entries, previewDir) };
  }

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly deps: StudioDeps,
    private readonly editors: LastEditorTracker,
  ) {
    super();
    this.actions = new GalleryActions(deps.generation, editors, (message) => this.post(message), () => this.postEntries());
    this.edits = new StudioEdits({ generation: deps.generation, runs: this.runs, post: (message) => this.post(message), updateRoots: () => this.updateRoots(),
      postError: (error, runId) => this.postError(error, runId, 'Edit'), galleryEntry: (entry) => this.galleryEntry(entry),
      webviewSrc: (uri) => (this.isUnderRoots(uri) ? this.panel.webview.asWebviewUri(uri).toString() : undefined) });
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const options = StudioPanel.webviewOptions(extensionUri, deps.generation.historyEntries(), deps.previews?.dir);
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
      editStyleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'edit.css')).toString(),
    });

    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(deps.generation.setPreviewSink({ watch: (request, resource) => this.watch(request, resource) }));
    this._register(panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this._register(
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.webviewReady = false;
      }),
    );
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
    this.runs.dispose();
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
    void dispatchFromWebview(this.handlers, raw, (line) => this.deps.log.warn(line)).catch((error: unknown) =>
      this.postError(error, undefined, action ?? 'Image Studio'),
    );
  }

  /** One handler per message type (a missing one does not compile: panelMessages.ts). */
  private readonly handlers = panelMessageHandlers({
    init: () => this.sendInit(),
    generate: (runId, prompt, options) => this.generate(runId, prompt, options),
    cancel: (runId) => {
      // A run that ended meanwhile (or never was ours) has nothing to cancel; its outcome is on its way.
      if (!this.runs.cancel(runId)) this.deps.log.info('Image Studio: cancel for a run that is not running.');
    },
    imageCommand: (command, ref) => this.actions.run(command, ref),
    errorAction: (action) => runErrorAction(action),
    tryAgain: (failedRunId, newRunId) => this.tryAgain(failedRunId, newRunId),
    keep: async (ref) => this.post({ type: 'status', message: await toggleKeep(this.deps, ref) }),
    discardOthers: async (id) => this.post({ type: 'status', message: await discardOthers(this.deps, id) }),
    openParent: async (id) => {
      const problem = await openParent(this.deps, id, this.editors.get()?.viewColumn);
      if (problem !== undefined) this.post({ type: 'status', message: problem });
    },
    edit: (message) => this.edits.handle(message),
  });

  private async sendInit(): Promise<void> {
    await this.deps.generation.pruneHistory();
    const hasKey = await this.hasKey();
    // Hidden meanwhile: that webview is gone, and the next one asks again (the outcomes wait for it).
    if (this.isDisposed || !this.panel.visible) return;
    this.webviewReady = true;
    const init: ToWebview = {
      type: 'init',
      defaults: this.defaults(),
      hasKey,
      entries: this.galleryEntries(),
      running: this.runs.running(),
      missed: this.runs.takeMissed(),
    };
    void this.panel.webview.postMessage(init);
  }

  private async generate(runId: RunId, prompt: string, options: ImageOptions): Promise<void> {
    const run = this.runs.start(runId, prompt, (elapsedSeconds) => this.post({ type: 'progress', runId, elapsedSeconds }));
    if (run === 'repeatedId') {
      // Only a broken or hostile webview repeats an id: answering would speak for the other run.
      this.deps.log.warn('Image Studio: ignored a generate request that repeats a run id.');
      return;
    }
    if (run === 'busy') {
      this.post({ type: 'stopped', runId, message: 'A generation is already running: cancel it first or wait for it.' });
      return;
    }
    try {
      await this.runGeneration(run, options);
    } finally {
      this.runs.finish(runId);
    }
  }

  private async runGeneration({ runId, prompt, signal, startedAt }: ActiveRun, options: ImageOptions): Promise<void> {
    const editor = this.editors.get();
    const resource = editor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    let request: GenerationRequest;
    try {
      request = this.deps.generation.buildRequest(prompt, options, resource);
    } catch (error) {
      this.postError(error, runId, 'Image generation');
      return;
    }
    this.post({ type: 'started', runId, prompt });
    try {
      // Decided before the request so the files land next to the document the user was working on.
      const target = await chooseSaveTarget(editor?.document, request.outputFormat);
      if (!target) {
        this.post({ type: 'stopped', runId, message: 'No save location chosen. Nothing was generated.' });
        return;
      }
      // Cancel may have been pressed while a folder picker or save dialog was open.
      if (signal.aborted) throw new ImageApiError('cancelled', 'Generation cancelled.');
      const outcome = await this.deps.generation.generate(request, target, signal, resource, options, {
        previews: streamPreviews(this.deps.previews, runId, request.n, resource, (message) => this.post(message), (uri) =>
          this.panel.webview.asWebviewUri(uri).toString(),
        ),
      });
      const entry = outcome.entry;
      this.updateRoots();
      const seconds = elapsedSince(startedAt);
      const where = [...new Set(outcome.files.map((file) => vscode.workspace.asRelativePath(path.dirname(file.fsPath))))];
      this.post({
        type: 'result',
        runId,
        entry: this.galleryEntry(entry),
        message: `Generated ${plural(outcome.files.length, 'image')} in ${seconds} s, saved in ${where.join(', ')}.`,
      });
    } catch (error) {
      this.postError(error, runId, 'Image generation', { prompt, options });
    }
  }

  /**
   * The alert's Try Again (issue #11): the failed run's prompt and options, exactly as they were sent,
   * as a new run. Only the last run whose error offered Try Again can be sent again, and only once: the
   * webview names it, the host supplies what is sent.
   */
  private async tryAgain(failedRunId: RunId, newRunId: RunId): Promise<void> {
    const failed = this.failedRun;
    if (failed?.runId !== failedRunId) {
      this.post({ type: 'stopped', runId: newRunId, message: 'That request can no longer be sent again: press Generate.' });
      return;
    }
    this.failedRun = undefined;
    this.deps.log.info('Image Studio: Try Again sends the failed request once more (it may have been charged the first time).');
    return this.generate(newRunId, failed.prompt, failed.options);
  }

  /** The last run whose error offered Try Again: what the alert's button sends again. */
  private failedRun: { readonly runId: RunId; readonly prompt: string; readonly options: ImageOptions } | undefined;

  /** A palette generation's previews in this page's tiles (a host-made run id the page adopts). */
  private watch(request: GenerationRequest, resource: vscode.Uri | undefined): ReturnType<typeof watchPreviews> {
    return watchPreviews(this.deps.previews, request, resource, (message) => this.post(message), (uri) => this.panel.webview.asWebviewUri(uri).toString());
  }

  /** `runId`: the error ended that run (the webview leaves its running state only then); `action` names what failed. */
  private postError(error: unknown, runId: RunId | undefined, action: string, sent?: { readonly prompt: string; readonly options: ImageOptions }): void {
    // The user may not look at a hidden panel for a while: say it where they are, too. showError logs
    // the detail itself, so only one of the two logs it. Try Again is the alert's (it re-runs in the panel).
    const hidden = !this.isDisposed && !this.panel.visible;
    if (hidden) void showError(error, this.deps.log, { action });
    const canTryAgain = runId !== undefined && sent !== undefined;
    // logError only asks whether a re-run exists; the alert's button sends `tryAgain` (see tryAgain()).
    const report = canTryAgain ? { action, tryAgain: () => undefined } : { action };
    const description = hidden ? describeError(error, { action, canTryAgain, timeoutSetting }) : logError(error, this.deps.log, report);
    if (canTryAgain && description.actions.includes('tryAgain')) this.failedRun = { runId, ...sent };
    if (description.kind === 'cancelled') {
      this.post(runId ? { type: 'stopped', runId, message: description.message } : { type: 'status', message: description.message });
    } else {
      this.post({ type: 'error', ...(runId ? { runId } : {}), message: description.message, actions: description.actions });
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
    const entries = this.deps.generation.historyEntries();
    const lineage = galleryLineage(entries, open, this.webviewSrc);
    return entries.map((entry) => galleryEntryFor(entry, open, this.webviewSrc, lineage));
  }

  private galleryEntry(entry: HistoryEntry): GalleryEntry {
    const open = workspaceFileFolders();
    return galleryEntryFor(entry, open, this.webviewSrc, galleryLineage(this.deps.generation.historyEntries(), open, this.webviewSrc));
  }

  private readonly webviewSrc = (uri: vscode.Uri): string | undefined =>
    this.isUnderRoots(uri) ? this.panel.webview.asWebviewUri(uri).toString() : undefined;

  private defaults(): StudioDefaults {
    const editor = this.editors.get();
    const config = readConfig(editor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri);
    const { defaults, problems } = studioDefaults(config);
    this.deps.generation.reportSettingProblems(problems);
    return { ...defaults, cost: studioCostInfo(defaults.model, editor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri) };
  }

  /** Roots change with assetsFolder and workspace folders; setting options reloads the webview, so only on change. */
  private updateRoots(): void {
    const roots = studioResourceRoots(this.extensionUri, this.deps.generation.historyEntries(), this.deps.previews?.dir);
    if (sameUris(roots, this.roots)) return;
    this.roots = roots;
    this.panel.webview.options = { enableScripts: true, localResourceRoots: roots };
  }

  private isUnderRoots(uri: vscode.Uri): boolean {
    return this.roots.some((root) => isInside(root.fsPath, uri.fsPath));
  }

  /**
   * A webview that is not listening (hidden, or shown but not yet `ready`) gets the outcomes in its next
   * `init`; everything else `init` brings anew (gallery, settings, runs still going).
   */
  private post(message: ToWebview): void {
    if (this.isDisposed) return;
    if (!this.webviewReady || !this.panel.visible) {
      if (isOutcome(message)) this.runs.keepMissed(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }
}
