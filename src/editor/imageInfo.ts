import * as path from 'node:path';
import * as vscode from 'vscode';
import { showError } from '../common/errorReporting';
import { commandIds } from '../common/ids';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import { costFromUsage, formatCost, pricingFor } from '../core/pricing';
import { readImageFileInfo, type ImageFileInfo } from '../core/provenance/imageFileInfo';
import { summarizeImageInfo, type ImageInfoSummary, type RecordedGeneration } from '../core/provenance/infoRows';
import type { HistoryEntry } from '../generation/history';
import { resolveStoredPath } from '../generation/history';
import { workspaceFileFolders } from '../generation/historyFiles';
import { imageExtensions } from '../shared/labels';
import { plainText } from '../shared/plainText';

/** Issued by engineer `edits` (issue #13); offered only when some extension registers it. */
export const editImageCommand = 'gptImage.editImage';

export interface ImageInfoDeps {
  readonly log: Log;
  /** Every recorded generation: the workspace history merged with the repository's history file. */
  readonly entries: () => readonly HistoryEntry[];
}

/** What Show Image Info found, returned by the command too (tests, other extensions). */
export interface ShownImageInfo extends ImageInfoSummary {
  readonly file: string;
  readonly contentCredentials: boolean;
}

/**
 * GPT Image: Show Image Info (issue #15 §4): the image's prompt, options, model, time, request id,
 * cost, parents and whether it carries Content Credentials, as a list (select a row to copy it), with
 * Reuse Prompt, Edit and Insert. Reads our iTXt record, so it works for an image a teammate made;
 * resolves with what it found as soon as the list is shown (the list stays until dismissed).
 */
export async function showImageInfoCommand(deps: ImageInfoDeps, uri?: vscode.Uri): Promise<ShownImageInfo | undefined> {
  try {
    const file = uri ?? activeImage() ?? (await pickImage());
    if (!file) return undefined;
    if (file.scheme !== 'file') {
      void notify('warning', `GPT Image: Show Image Info reads files on disk only, not ${file.scheme}: resources.`);
      return undefined;
    }
    const info = await readImageFileInfo(file.fsPath);
    const recorded = recordedFor(file, deps.entries());
    const summary = summarizeImageInfo(info, recorded, usageCost(info));
    void present(deps.log, file, summary);
    return { ...summary, file: file.fsPath, contentCredentials: info.contentCredentials !== undefined };
  } catch (error) {
    void showError(error, deps.log, { action: 'Show Image Info' });
    return undefined;
  }
}

type Row = vscode.QuickPickItem & { readonly run?: () => Thenable<unknown> | Promise<unknown>; readonly copy?: string };

async function present(log: Log, file: vscode.Uri, summary: ImageInfoSummary): Promise<void> {
  const rows: Row[] = summary.rows.map((row) => ({ label: plainText(row.label), detail: plainText(row.value), copy: row.value }));
  const actions: Row[] = [];
  if (summary.prompt) {
    const prompt = summary.prompt;
    actions.push({ label: 'Reuse Prompt', description: 'Generate Image… with this prompt and its options', run: () => reusePrompt(prompt, summary.options) });
  }
  if ((await vscode.commands.getCommands(true)).includes(editImageCommand)) {
    actions.push({ label: 'Edit…', description: 'Edit this image with a prompt', run: () => vscode.commands.executeCommand(editImageCommand, file) });
  }
  actions.push({ label: 'Insert', description: 'Insert a link to it into the active editor', run: () => vscode.commands.executeCommand(commandIds.insertImageFromExplorer, file) });
  const items: Row[] = [...actions, { label: 'Details', kind: vscode.QuickPickItemKind.Separator }, ...rows];
  const picked = await vscode.window.showQuickPick(items, {
    title: plainText(`Image Info: ${path.basename(file.fsPath)}`),
    placeHolder: 'Pick an action, or a row to copy its value',
    matchOnDetail: true,
  });
  try {
    if (picked?.run) await picked.run();
    else if (picked?.copy !== undefined) {
      await vscode.env.clipboard.writeText(picked.copy);
      void notify('info', `GPT Image: copied the ${picked.label.toLowerCase()}.`);
    }
  } catch (error) {
    await showError(error, log, { action: 'Show Image Info' });
  }
}

/** Generate Image… with the prompt pre-filled in its input box (nothing is sent until the user confirms). */
function reusePrompt(prompt: string, options: ImageInfoSummary['options']): Thenable<unknown> {
  return vscode.commands.executeCommand(commandIds.generate, { promptDraft: prompt, ...cleanOptions(options) });
}

function cleanOptions(options: ImageInfoSummary['options']): Record<string, string> {
  const out: Record<string, string> = {};
  if (options?.size && /^(auto|\d{2,4}x\d{2,4})$/.test(options.size)) out.size = options.size;
  if (options?.quality && ['auto', 'low', 'medium', 'high'].includes(options.quality)) out.quality = options.quality;
  if (options?.outputFormat && ['png', 'jpeg', 'webp'].includes(options.outputFormat)) out.outputFormat = options.outputFormat;
  if (options?.background && ['auto', 'transparent', 'opaque'].includes(options.background)) out.background = options.background;
  return out;
}

/** The image shown in the active editor tab (VS Code's image preview is a custom editor). */
function activeImage(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri && isImagePath(uri.path) ? uri : undefined;
}

async function pickImage(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Show Image Info',
    canSelectMany: false,
    filters: { Images: [...imageExtensions] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0];
}

function isImagePath(file: string): boolean {
  const ext = path.extname(file).slice(1).toLowerCase();
  return (imageExtensions as readonly string[]).includes(ext);
}

/** The history entry that holds this file, as the summary needs it. */
function recordedFor(file: vscode.Uri, entries: readonly HistoryEntry[]): RecordedGeneration | undefined {
  const folders = workspaceFileFolders();
  const target = path.resolve(file.fsPath);
  const entry = entries.find((candidate) => candidate.files.some((stored) => resolveStoredPath(candidate, stored, folders) === target));
  if (!entry) return undefined;
  return {
    prompt: entry.prompt,
    model: entry.model,
    size: entry.options.size,
    quality: entry.options.quality,
    outputFormat: entry.options.outputFormat,
    background: entry.options.background,
    n: entry.options.n,
    createdAt: entry.createdAt,
    requestId: entry.requestId,
    cost: entry.cost ? formatCost(entry.cost) : undefined,
    parents: (entry as { parents?: readonly string[] }).parents,
    source: (entry as { source?: string }).source ?? 'workspace history',
  };
}

/** The file's recorded usage priced at today's built-in rates, for an image no history knows. */
function usageCost(info: ImageFileInfo): string | undefined {
  const record = info.provenance;
  if (!record?.usage || !record.model) return undefined;
  const usage = { input_tokens: record.usage.inputTokens, output_tokens: record.usage.outputTokens, total_tokens: record.usage.totalTokens };
  const cost = costFromUsage(usage, { size: record.size ?? '1024x1024', quality: record.quality, n: record.n ?? 1, prompt: record.prompt }, pricingFor(record.model).rates);
  return `${formatCost(cost)} for the whole generation, from the usage recorded in the file at current rates`;
}
