import * as vscode from 'vscode';
import { openSettings, readConfig, type GptImageConfig } from '../common/config';
import { ImageApiError, withDetails } from '../core/errors';
import type { ClientOptions } from '../core/api/client';
import { formatBalance, formatUsd } from '../core/pricing';
import type { SaveTarget } from '../core/engine';
import type { GenerationRequest } from '../core/types';
import { validateRequest } from '../core/validate';
import { describeUsage } from '../core/noticeMessages';
import type { Log } from '../common/log';
import type { NetworkSettings } from '../common/networkSettings';
import { notify } from '../common/notify';
import { provenanceStamp } from '../common/provenanceSettings';
import type { ApiKeyStore } from '../common/secrets';
import type { ImageOptions, OutputFormat, UncheckedOptions } from '../shared/options';
import type { HistoryEntry, HistoryStore } from './history';
import { historyEntryFor, pruneMissingFiles, watchHistoryFiles, withLineage } from './historyFiles';
import { prepareEdit, type EditSources, type PreparedEdit } from './editSources';
import { inputFor, withSettingHint } from './requestInput';
import { mergeEntries, SharedHistory } from './sharedHistory';
import type { BalanceResult } from '../core/api/balance';
import { BalanceTracker } from './balanceTracker';
import { CostGuard, describeCost, type GenerationCost } from './costGuard';
import { SpendLedger } from './spendLedger';
/**
 * Options a surface may override; anything left out comes from settings. Unchecked (a keybinding's
 * arguments, an agent's input): the validator checks them with the settings' values.
 */
export type GenerationOverrides = Partial<UncheckedOptions>;

export interface GenerationOutcome {
  readonly files: readonly vscode.Uri[];
  readonly request: GenerationRequest;
  /** The entry recorded in the workspace history. */
  readonly entry: HistoryEntry;
  /** What it cost: from usage, or an estimate (`basis`), with the balance change when known. */
  readonly cost: GenerationCost;
}

/** The Studio, as a place for other surfaces' previews. */
export interface PreviewSink {
  watch(request: GenerationRequest, resource?: vscode.Uri): { previews?: GenerationRunOptions['previews']; end: (failed: boolean) => void };
}

/** How a surface runs a generation. */
export interface GenerationRunOptions {
  /**
   * Ask before sending when the estimate is above gptImage.confirmAboveUsd (default true). A surface
   * with its own confirmation (the agent tools) passes false; the daily budget applies either way. `now`:
   * the time file names carry (default: when saved; the agent tools pass their confirmation's). */
  readonly confirmCost?: boolean; readonly now?: Date;
  /**
   * Stream with previews (issue #14): `partialImages` 1–3 per image; `onPartial` gets each preview of
   * image `imageIndex` as it arrives. Falls back to a plain request where the gateway cannot stream.
   */
  readonly previews?: {
    readonly partialImages: number;
    readonly onPartial: (imageIndex: number, bytes: Buffer, format: OutputFormat) => void;
  };
}

/**
 * Shared by the palette command and the Studio: settings + overrides → validated request → key →
 * engine → files on disk → one entry in the workspace history. Surfaces only decide where to save and
 * what to do with the result; every surface's generations reach the history (and the Studio's gallery).
 */
export class GenerationService implements vscode.Disposable {
  private readonly reported = new Set<string>();
  private readonly historyChanged = new vscode.EventEmitter<void>();
  /** Fires after the stored history changed: a generation was recorded, files were deleted or moved. */
  readonly onDidChangeHistory = this.historyChanged.event;
  private readonly watcher: vscode.Disposable;
  /** Today's and this session's spend (globalState), for the budget and the status bar. */
  readonly spend: SpendLedger;
  /** The gateway's balance, when it reports one. */
  readonly balance: BalanceTracker;
  private readonly costs: CostGuard;
  /** Where previews of palette generations go while the Studio is open (issue #14). */
  private previewSink: PreviewSink | undefined;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly log: Log,
    private readonly userAgent: string,
    private readonly history: HistoryStore,
    globalState: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly network: NetworkSettings,
  ) {
    this.watcher = watchHistoryFiles(history, () => this.historyChanged.fire(), log);
    this.shared = new SharedHistory(log, () => this.historyChanged.fire());
    this.spend = new SpendLedger(globalState);
    this.balance = new BalanceTracker(loadEngine, log, async () => (await keys.get())?.key);
    this.costs = new CostGuard(this.spend, this.balance, log);
  }

  /** The workspace history merged with the repository's history files (issue #15), newest first. */
  historyEntries(): readonly HistoryEntry[] {
    return mergeEntries(this.history.list(), this.shared.list());
  }

  historyEntry(id: string): HistoryEntry | undefined {
    return this.history.get(id) ?? this.shared.list().find((entry) => entry.id === id);
  }
  /** The repository history files' part of {@link historyEntries}. */ readonly shared: SharedHistory;

  /** Drops entries whose files are gone (fires onDidChangeHistory when something changed). */
  async pruneHistory(): Promise<void> {
    if (await pruneMissingFiles(this.history)) this.historyChanged.fire();
  }

  /** A change of the workspace history (Keep, Discard the others); the gallery hears of it when it changed. */
  async changeHistory(change: (history: HistoryStore) => Promise<boolean>): Promise<void> {
    if (await change(this.history)) this.historyChanged.fire();
  }

  dispose(): void {
    this.watcher.dispose();
    this.shared.dispose();
    this.historyChanged.dispose();
  }

  /** Builds and validates the request without touching the network; throws ImageApiError('validation'). */
  buildRequest(prompt: string, overrides: GenerationOverrides = {}, resource?: vscode.Uri): GenerationRequest {
    try {
      return validateRequest(inputFor(prompt, overrides, resource));
    } catch (error) {
      throw withSettingHint(error, overrides);
    }
  }

  /**
   * Reads and validates an edit (issue #13) without touching the network: the images and mask of
   * `sources`, the prompt, settings + overrides as for a generation. Throws ImageApiError('validation')
   * naming the file and the rule. Pass the result to {@link edit}.
   */
  async buildEdit(prompt: string, sources: EditSources, overrides: GenerationOverrides = {}): Promise<PreparedEdit> {
    try {
      return await prepareEdit(loadEngine(), inputFor(prompt, overrides, sources.images[0]), sources);
    } catch (error) {
      throw withSettingHint(error, overrides);
    }
  }

  /**
   * Runs a prepared edit like a generation (key, cost check, progress-free engine call, history) and
   * saves the results beside the original as `<original>-edit-<time>.<ext>`, never overwriting. The
   * history entry records the parent images and the mask file.
   */
  edit(prepared: PreparedEdit, signal: AbortSignal, options?: Omit<ImageOptions, 'n'>, run: GenerationRunOptions = {}): Promise<GenerationOutcome> {
    const { request, target, resource } = prepared;
    const provenance = provenanceStamp(resource, this.userAgent, prepared.parents.map((uri) => vscode.workspace.asRelativePath(uri, false)));
    return this.runAndRecord(request, signal, resource, options, run, 'Editing', (client) => loadEngine().editAndSave(request, client, target, { signal, provenance, now: () => run.now ?? new Date() }), (entry) =>
      prepared.placeMask ? prepared.placeMask().then((mask) => withLineage(entry, prepared.parents, mask)) : withLineage(entry, prepared.parents, prepared.maskFile),
    );
  }

  async generate(
    request: GenerationRequest,
    target: SaveTarget,
    signal: AbortSignal,
    resource?: vscode.Uri,
    /** The surface's options, for values the request leaves out (recorded in the history). */
    options?: Omit<ImageOptions, 'n'>,
    run: GenerationRunOptions = {},
  ): Promise<GenerationOutcome> {
    const previews = run.previews;
    const provenance = provenanceStamp(resource, this.userAgent);
    return this.runAndRecord(request, signal, resource, options, run, 'Generating', (client) =>
      loadEngine().generateAndSave(request, client, target, { signal, provenance, now: () => run.now ?? new Date(),
        ...(previews &&
          previews.partialImages > 0 && {
            stream: {
              partialImages: previews.partialImages,
              onPartial: (imageIndex: number, partial: { bytes: Buffer; format: OutputFormat }) =>
                previews.onPartial(imageIndex, partial.bytes, partial.format),
            },
          }),
      }),
    );
  }

  /** The one path of generations and edits: key, cost check, engine, log, cost, history entry. */
  private async runAndRecord(
    request: GenerationRequest,
    signal: AbortSignal,
    resource: vscode.Uri | undefined,
    options: Omit<ImageOptions, 'n'> | undefined,
    run: GenerationRunOptions,
    verb: 'Generating' | 'Editing',
    save: (client: ReturnType<GenerationService['clientOptions']>) => ReturnType<Engine['generateAndSave']>,
    record: (entry: HistoryEntry) => HistoryEntry | Promise<HistoryEntry> = (entry) => entry,
  ): Promise<GenerationOutcome> {
    if (signal.aborted) throw new ImageApiError('cancelled', 'Generation cancelled.');
    const config = readConfig(resource);
    this.reportSettingProblems(config.problems);
    const apiKey = await this.requireKey();
    if (signal.aborted) throw new ImageApiError('cancelled', 'Generation cancelled.');
    const client = this.clientOptions(config, apiKey);
    const fetchBalance = this.balance.isUnsupported(config.baseUrl) ? undefined : () => this.refreshBalance(client);
    const ticket = await this.costs.check(request, {
      resource,
      confirm: run.confirmCost ?? true,
      partialImages: run.previews?.partialImages ?? 0,
      baseUrl: config.baseUrl,
      fetchBalance,
    });
    let saved: Awaited<ReturnType<Engine['generateAndSave']>>;
    try {
      if (signal.aborted) throw new ImageApiError('cancelled', 'Generation cancelled.');
      this.log.info(
        `${verb} ${request.n} image(s) with ${request.model}, size ${request.size}, quality ${request.quality ?? 'default'}, ${describeCost(ticket.estimate)}`,
      );
      saved = await save(client);
    } catch (error) {
      ticket.release();
      await this.costs.countIfProbablyBilled(error, ticket);
      throw await this.withBalance(error, client, fetchBalance);
    }
    const { files, result } = saved;
    for (const file of files) this.log.info(`Saved ${file}`);
    this.log.info(`Usage: ${describeUsage(result.usage)}${result.requestId ? ` (request id ${result.requestId})` : ''}`);
    const usages = 'usages' in result ? result.usages : [result.usage];
    if ('failures' in result) for (const failure of result.failures) this.log.warn(`One of the parallel streams failed: ${failure}`);
    const cost = await this.costs.finish(
      ticket,
      request,
      usages,
      this.balance.isUnsupported(config.baseUrl) ? undefined : fetchBalance,
      run.previews?.partialImages ?? 0,
    );
    const uris = files.map((file) => vscode.Uri.file(file));
    const entry = await record(historyEntryFor(uris, request, result, options, cost));
    try {
      await this.history.add(entry);
      this.historyChanged.fire();
    } catch (error) {
      // The files are saved; a failed state write must not turn the generation into a failure.
      this.log.warn(`Image history: recording the generation failed: ${String(error)}`);
    }
    await this.shared.append(entry);
    return { files: uris, request, entry, cost };
  }

  /** The open Studio registers here; the returned disposable unregisters it. */
  setPreviewSink(sink: PreviewSink): vscode.Disposable {
    this.previewSink = sink;
    return new vscode.Disposable(() => {
      if (this.previewSink === sink) this.previewSink = undefined;
    });
  }

  /** Streaming for a palette generation: previews go to the open Studio, none when it is closed. */
  palettePreviews(request: GenerationRequest, resource?: vscode.Uri): { previews?: GenerationRunOptions['previews']; end: (failed: boolean) => void } {
    return this.previewSink?.watch(request, resource) ?? { end: () => undefined };
  }

  /** The estimate the Studio and the confirmation show, for a validated request. */
  estimate(request: GenerationRequest, resource?: vscode.Uri): GenerationCost {
    return this.costs.estimate(request, resource).figure;
  }

  /**
   * Asks the gateway for the balance with the stored key (the status bar, Set API Key); undefined
   * without a key. Free: it doubles as the key check. Never throws.
   */
  async refreshBalanceNow(): Promise<BalanceResult | undefined> {
    const key = await this.keys.get();
    if (!key) return undefined;
    const config = readConfig();
    this.log.addSecret(key.key);
    try {
      return await this.balance.refresh(this.clientOptions(config, key.key), { share: true });
    } catch (error) {
      return { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * A 403 ("Token Group … Has Been Disabled", which can mean the key's quota is spent) or an exhausted
   * quota explains itself with the balance, asked fresh (2 s at most) when the gateway reports one.
   */
  private async withBalance(error: unknown, client: ClientOptions, fetch: (() => Promise<number | undefined>) | undefined): Promise<unknown> {
    if (!(error instanceof ImageApiError) || (error.kind !== 'permission' && error.kind !== 'quota') || !fetch) return error;
    await Promise.race([fetch().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000))]);
    const known = this.balance.current(client.baseUrl);
    if (!known) return error;
    const limit = known.unlimited ? '' : known.tokenBalanceUsd !== undefined ? `; this key may still spend ${formatUsd(known.tokenBalanceUsd)}` : '';
    return withDetails(error, { message: `${error.message.replace(/\.$/, '')}. WisGate balance: ${formatBalance(known.availableUsd)}${limit}.` });
  }

  private async refreshBalance(client: ReturnType<GenerationService['clientOptions']>): Promise<number | undefined> {
    const result = await this.balance.refresh(client);
    return result.kind === 'balance' ? result.availableUsd : undefined;
  }

  /** Unusable values in settings are replaced by defaults; say so once per value, with the way to fix it. */
  reportSettingProblems(problems: readonly string[]): void {
    for (const problem of problems) {
      this.log.warn(problem);
      if (this.reported.has(problem)) continue;
      this.reported.add(problem);
      void notify('warning', `GPT Image: ${problem}`, ['Open Settings']).then((picked) => {
        if (picked) void openSettings();
      });
    }
  }

  private clientOptions(config: GptImageConfig, apiKey: string) {
    return {
      baseUrl: config.baseUrl,
      apiKey,
      userAgent: this.userAgent,
      timeoutMs: config.timeoutMs,
      maxRetries: config.maxRetries,
      logger: this.log,
      dispatcher: this.network.dispatcherFor(loadEngine(), config.baseUrl),
    };
  }

  /** The stored key, the environment's, or a new one asked for now; the generation then goes on. */
  private async requireKey(): Promise<string> {
    const existing = await this.keys.get();
    if (existing) {
      this.log.addSecret(existing.key);
      return existing.key;
    }
    const entered = await this.keys.prompt('No API key is set yet.');
    // Escape on the key box is the user's choice, not a failure: nothing was sent.
    if (!entered) throw new ImageApiError('cancelled', 'No API key was entered; nothing was sent.');
    this.log.addSecret(entered);
    return entered;
  }
}

type Engine = typeof import('../core/engine');
let engine: Engine | undefined;

/**
 * undici and the client are most of the code, and only a generation needs them: esbuild emits them as
 * dist/engine.js (src/core/engine.ts) next to dist/extension.js, loaded here on first use (activation
 * never pays for it). A plain require: esbuild keeps `./engine.js` external (see esbuild.js).
 */
function loadEngine(): Engine {
  engine ??= require('./engine.js') as Engine;
  return engine;
}
