import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig } from '../common/config';
import type { Log } from '../common/log';
import type { ApiKeyStore } from '../common/secrets';
import { parseEditInput, parseGenerateInput, type GenerateToolInput } from '../core/agentInput';
import { agentErrorText, noApiKeyText, planFingerprint, resultText, type AgentPlan, type AgentSavedFile } from '../core/agentMessages';
import type { SaveTarget } from '../core/engine';
import { ImageApiError } from '../core/errors';
import { readDimensions } from '../core/imageSize';
import { previewImage } from '../core/imagePreview';
import { formatImageLinks, languageIdForPath } from '../core/linkFormat';
import { extensionFor, imageFileNames, maxNameAttempts, nextCandidate, numberedNames } from '../core/naming';
import { sniffImageFormat } from '../core/api/sniff';
import type { GenerationRequest } from '../core/types';
import { describeCost } from '../generation/costGuard';
import type { GenerationOutcome, GenerationService } from '../generation/generationService';
import { prepareAgentEdit } from './agentEdit';
import { plural } from '../shared/labels';
import { resolveWorkspacePath, saveFolderFor, shownPath, type WorkspacePath } from './agentWorkspace';

export type AgentToolName = 'generate' | 'edit';

/** What failed, for an unexpected error's message: `Edit failed: …`. */
export const agentToolAction = (tool: AgentToolName): string => (tool === 'edit' ? 'Edit' : 'Image generation');

export interface AgentToolDeps {
  readonly generation: GenerationService;
  readonly keys: ApiKeyStore;
  readonly log: Log;
}

/** What a tool call hands back, for an LM tool result or an MCP CallToolResult alike. */
export interface AgentToolResult {
  readonly text: string;
  readonly isError: boolean;
  /** Downscaled pictures of the saved images, when asked for and possible. */
  readonly images: readonly { readonly bytes: Buffer; readonly mimeType: string }[];
}

/** A call worked out: the validated request, where it saves, and what the confirmation shows. */
export interface PreparedCall {
  readonly plan: AgentPlan;
  readonly folder: vscode.WorkspaceFolder;
  readonly linkFrom?: WorkspacePath;
  /** The time the predicted names carry; the saved names carry the same. */
  readonly now: Date;
  /** The input's includeImage, when given. */
  readonly includeImage?: boolean;
  /** Sends it through the GenerationService (generate or edit). */
  readonly start: (signal: AbortSignal, confirmCost: boolean) => Promise<GenerationOutcome>;
}

/** How a surface runs a call: whether the user confirmed it already, and whether it can take pictures. */
export interface RunOptions {
  /** False where the host showed this very plan with its estimate (VS Code's tool confirmation). */
  readonly confirmCost: boolean;
  /** Pictures when the input leaves includeImage out (the host must be able to take them at all). */
  readonly imagesByDefault: boolean;
  readonly canAttachImages: boolean;
  /** The confirmation's time, so the names saved are the names shown. */
  readonly now?: Date;
  /** The confirmed plan's fingerprint: the call is refused when it no longer matches (nothing is sent). */
  readonly confirmed?: string;
}

/** Agent generations running at once across Copilot and MCP clients: a looping agent can't run up a bill. */
export const maxConcurrentAgentCalls = 3;

/**
 * The agent tools' one implementation, behind both the language model tools and the MCP server: input
 * (untrusted) → the palette's GenerationService (settings, validation, key, retries, cancellation,
 * history) → a text result with workspace-relative paths and a link, and optionally small pictures.
 */
export class AgentImageTools {
  private running = 0;

  constructor(private readonly deps: AgentToolDeps) {}

  /**
   * Validates the input and works out the destinations (an edit reads its files: call it holding a
   * slot, see {@link withSlot}); throws a `validation` ImageApiError.
   */
  async prepare(tool: AgentToolName, raw: unknown, now = new Date()): Promise<PreparedCall> {
    if (tool === 'edit') {
      const input = parseEditInput(raw);
      const { prepared, plan, folder, linkFrom } = await prepareAgentEdit(this.deps.generation, input, now);
      const start = (signal: AbortSignal, confirmCost: boolean): Promise<GenerationOutcome> =>
        this.deps.generation.edit(prepared, signal, undefined, { confirmCost, now });
      return { plan, folder, start, now, ...(linkFrom && { linkFrom }), ...(input.includeImage !== undefined && { includeImage: input.includeImage }) };
    }
    return this.prepareGenerate(parseGenerateInput(raw), now);
  }

  /**
   * Runs `work` holding one of the {@link maxConcurrentAgentCalls} slots, taken before anything is
   * read or prepared; refuses at once (a `validation` error the agent can act on) when all are taken.
   */
  async withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= maxConcurrentAgentCalls) {
      throw new ImageApiError('validation', `${maxConcurrentAgentCalls} agent generations are already running; wait for them to finish, then call again.`, { param: 'tool' });
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }

  /**
   * Runs a call to the end; never throws: failures come back as text the model can act on. The slot is
   * taken first, so a flood of calls reads no files. MCP clients confirm in their own way, so there
   * `confirmCost` stays true and the gptImage.confirmAboveUsd dialog still applies.
   */
  async run(tool: AgentToolName, raw: unknown, signal: AbortSignal, options: RunOptions): Promise<AgentToolResult> {
    try {
      return await this.withSlot(async () => {
        const call = await this.prepare(tool, raw, options.now);
        if (options.confirmed !== undefined && planFingerprint(call.plan) !== options.confirmed) {
          throw new ImageApiError('validation', 'The request no longer matches what the user confirmed (a file, setting or price changed meanwhile), so it was not sent. Call the tool again to show a new confirmation.', { param: 'input' });
        }
        if (!(await this.deps.keys.get())) return { text: noApiKeyText, isError: true, images: [] };
        const { request } = call.plan;
        const outcome = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `GPT Image: ${call.plan.tool === 'edit' ? 'editing' : 'generating'} ${plural(request.n, 'image')} for an agent` },
          () => call.start(signal, options.confirmCost),
        );
        const cost = describeCost(outcome.cost);
        const wantImages = options.canAttachImages && (call.includeImage ?? options.imagesByDefault);
        return await this.success(call, outcome.files.map((file) => file.fsPath), { ...outcome.entry, cost }, wantImages, options.canAttachImages);
      });
    } catch (error) {
      return this.failure(error, tool);
    }
  }

  private prepareGenerate(input: GenerateToolInput, now: Date): PreparedCall {
    const linkFrom = input.linkFrom !== undefined ? resolveWorkspacePath(input.linkFrom, 'linkFrom') : undefined;
    const save = saveFolderFor(input.folder, (folder) => readConfig(folder.uri).assetsFolder, linkFrom);
    const request = this.deps.generation.buildRequest(input.prompt, input.options, save.folder.uri);
    const target: SaveTarget = {
      kind: 'assets',
      workspaceRoot: save.folder.uri.fsPath,
      assetsFolder: save.relative,
      folderField: save.field,
      ...(input.fileName !== undefined && { baseName: input.fileName }),
    };
    const destinations = predictNames(request, input.fileName, save.absolute, now).map((name) => shownPath(save.folder, path.join(save.absolute, name)));
    const estimate = this.deps.generation.estimate(request, save.folder.uri);
    const plan: AgentPlan = { tool: 'generate', request, destinations, estimate, ...(linkFrom && { linkFrom: linkFrom.shown }) };
    const start = (signal: AbortSignal, confirmCost: boolean): Promise<GenerationOutcome> =>
      this.deps.generation.generate(request, target, signal, save.folder.uri, undefined, { confirmCost, now });
    return { plan, folder: save.folder, start, now, ...(linkFrom && { linkFrom }), ...(input.includeImage !== undefined && { includeImage: input.includeImage }) };
  }

  private async success(
    call: PreparedCall,
    files: readonly string[],
    entry: { readonly requestId?: string; readonly usage?: AgentPlanUsage; readonly cost: string },
    wantImages: boolean,
    canAttach: boolean,
  ): Promise<AgentToolResult> {
    const saved: AgentSavedFile[] = [];
    const images: { bytes: Buffer; mimeType: string }[] = [];
    const notes: string[] = [];
    let format = call.plan.request.outputFormat ?? 'png';
    for (const file of files) {
      const bytes = await fs.readFile(file);
      const sniffed = sniffImageFormat(bytes) ?? 'png';
      format = sniffed;
      const size = readDimensions(bytes, sniffed);
      saved.push({ path: shownPath(call.folder, file), ...(size && { width: size.width, height: size.height }) });
      if (!wantImages) continue;
      const preview = await previewImage(bytes, sniffed);
      if (preview.ok) {
        images.push({ bytes: preview.bytes, mimeType: preview.mimeType });
        notes.push(`${preview.width}x${preview.height} ${preview.mimeType}`);
      } else {
        notes.push(`not attached for ${path.basename(file)}: ${preview.reason}; open the file to see it`);
      }
    }
    const link = call.linkFrom ? linkFor(call.linkFrom, files, call.plan.request.prompt) : undefined;
    const previewNote = !canAttach
      ? 'not attached (this editor cannot pass images to the model; open the file to see it)'
      : !wantImages
        ? 'not attached (call with includeImage: true for a 512 px picture, or open the file)'
        : images.length === files.length
          ? `attached (${notes.join(', ')})`
          : notes.join('; ');
    const text = resultText({ plan: call.plan, files: saved, format, link, usage: entry.usage, requestId: entry.requestId, cost: entry.cost, previewNote });
    this.deps.log.info(`Agent tool saved ${saved.map((file) => file.path).join(', ')}`);
    return { text, isError: false, images };
  }

  private failure(error: unknown, tool: AgentToolName): AgentToolResult {
    const text = agentErrorText(error, agentToolAction(tool));
    this.deps.log.warn(`Agent tool call failed: ${text}`);
    return { text, isError: true, images: [] };
  }
}

type AgentPlanUsage = { readonly totalTokens?: number; readonly inputTokens?: number; readonly outputTokens?: number };

/** The link in `linkFrom`'s syntax: its open document's language if it is open, else by extension. */
function linkFor(from: WorkspacePath, files: readonly string[], prompt: string): { language: string; text: string } {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'file' && document.uri.fsPath === from.absolute);
  const language = open?.languageId ?? languageIdForPath(from.absolute);
  const { text } = formatImageLinks(
    files.map((imagePath) => ({ languageId: language, documentPath: from.absolute, workspaceRoot: from.folder.uri.fsPath, imagePath, alt: prompt })),
  );
  return { language, text };
}

/** The names the images would get if saved now: the engine's names, each moved on past taken ones. */
function predictNames(request: GenerationRequest, baseName: string | undefined, dir: string, now: Date): string[] {
  const ext = extensionFor(request.outputFormat ?? 'png');
  const wished = baseName !== undefined ? numberedNames(baseName, request.n, ext) : imageFileNames(request.prompt, request.n, ext, now);
  const taken = new Set<string>();
  return wished.map((name) => {
    for (let i = 0; i < maxNameAttempts; i++) {
      const candidate = nextCandidate(name, i);
      if (!taken.has(candidate) && !existsSync(path.join(dir, candidate))) {
        taken.add(candidate);
        return candidate;
      }
    }
    return name;
  });
}
