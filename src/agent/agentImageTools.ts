import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig } from '../common/config';
import type { Log } from '../common/log';
import type { ApiKeyStore } from '../common/secrets';
import { parseEditInput, parseGenerateInput, type GenerateToolInput } from '../core/agentInput';
import { agentErrorText, noApiKeyText, resultText, type AgentPlan, type AgentSavedFile } from '../core/agentMessages';
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
  /** Sends it through the GenerationService (generate or edit). */
  readonly start: (signal: AbortSignal, confirmCost: boolean) => Promise<GenerationOutcome>;
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

  /** Validates the input and works out the destinations; throws a `validation` ImageApiError. */
  async prepare(tool: AgentToolName, raw: unknown): Promise<PreparedCall> {
    if (tool === 'edit') {
      const { prepared, plan, folder, linkFrom } = await prepareAgentEdit(this.deps.generation, parseEditInput(raw));
      const start = (signal: AbortSignal, confirmCost: boolean): Promise<GenerationOutcome> =>
        this.deps.generation.edit(prepared, signal, undefined, { confirmCost });
      return { plan, folder, start, ...(linkFrom && { linkFrom }) };
    }
    return this.prepareGenerate(parseGenerateInput(raw));
  }

  /**
   * Runs a call to the end; never throws: failures come back as text the model can act on. `confirmCost`:
   * false where the host already confirmed with the estimate (VS Code's tool confirmation); MCP clients
   * confirm in their own way, so there the gptImage.confirmAboveUsd dialog still applies.
   */
  async run(tool: AgentToolName, raw: unknown, signal: AbortSignal, wantImages: boolean, confirmCost = true): Promise<AgentToolResult> {
    let call: PreparedCall;
    try {
      call = await this.prepare(tool, raw);
    } catch (error) {
      return this.failure(error);
    }
    if (!(await this.deps.keys.get())) return { text: noApiKeyText, isError: true, images: [] };
    if (this.running >= maxConcurrentAgentCalls) {
      return this.failure(new ImageApiError('validation', `${maxConcurrentAgentCalls} agent generations are already running; wait for them to finish, then call again.`, { param: 'tool' }));
    }
    this.running++;
    try {
      const { request } = call.plan;
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `GPT Image: ${call.plan.tool === 'edit' ? 'editing' : 'generating'} ${plural(request.n, 'image')} for an agent` },
        () => call.start(signal, confirmCost),
      );
      const cost = describeCost(outcome.cost);
      return await this.success(call, outcome.files.map((file) => file.fsPath), { ...outcome.entry, cost }, wantImages);
    } catch (error) {
      return this.failure(error);
    } finally {
      this.running--;
    }
  }

  private prepareGenerate(input: GenerateToolInput): PreparedCall {
    const linkFrom = input.linkFrom !== undefined ? resolveWorkspacePath(input.linkFrom, 'linkFrom') : undefined;
    const save = saveFolderFor(input.folder, (folder) => readConfig(folder.uri).assetsFolder, linkFrom);
    const request = this.deps.generation.buildRequest(input.prompt, input.options, save.folder.uri);
    const target: SaveTarget = {
      kind: 'assets',
      workspaceRoot: save.folder.uri.fsPath,
      assetsFolder: save.relative,
      ...(save.field && { folderField: save.field }),
      ...(input.fileName !== undefined && { baseName: input.fileName }),
    };
    const destinations = predictNames(request, input.fileName, save.absolute).map((name) => shownPath(save.folder, path.join(save.absolute, name)));
    const estimate = this.deps.generation.estimate(request, save.folder.uri);
    const plan: AgentPlan = { tool: 'generate', request, destinations, estimate, ...(linkFrom && { linkFrom: linkFrom.shown }) };
    const start = (signal: AbortSignal, confirmCost: boolean): Promise<GenerationOutcome> =>
      this.deps.generation.generate(request, target, signal, save.folder.uri, undefined, { confirmCost });
    return { plan, folder: save.folder, start, ...(linkFrom && { linkFrom }) };
  }

  private async success(
    call: PreparedCall,
    files: readonly string[],
    entry: { readonly requestId?: string; readonly usage?: AgentPlanUsage; readonly cost: string },
    wantImages: boolean,
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
    const previewNote = !wantImages
      ? 'not attached (this client did not ask for images, or the host cannot show them)'
      : images.length === files.length
        ? `attached (${notes.join(', ')})`
        : notes.join('; ');
    const text = resultText({ plan: call.plan, files: saved, format, link, usage: entry.usage, requestId: entry.requestId, cost: entry.cost, previewNote });
    this.deps.log.info(`Agent tool saved ${saved.map((file) => file.path).join(', ')}`);
    return { text, isError: false, images };
  }

  private failure(error: unknown): AgentToolResult {
    const text = agentErrorText(error);
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
function predictNames(request: GenerationRequest, baseName: string | undefined, dir: string): string[] {
  const ext = extensionFor(request.outputFormat ?? 'png');
  const wished = baseName !== undefined ? numberedNames(baseName, request.n, ext) : imageFileNames(request.prompt, request.n, ext, new Date());
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
