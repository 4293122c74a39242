import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EditToolInput } from '../core/agentInput';
import type { AgentPlan } from '../core/agentMessages';
import { ImageApiError } from '../core/errors';
import { extensionFor, maxNameAttempts, nextCandidate, numberedNames, timestamp } from '../core/naming';
import { resolveAssetsDir, staysInsideRealSync } from '../core/paths';
import type { PreparedEdit } from '../generation/editSources';
import type { GenerationService } from '../generation/generationService';
import { folderInputField, refuseRealVcs, resolveWorkspacePath, shownPath, type WorkspacePath } from './agentWorkspace';

/** An edit worked out for the agent tools: the edit engine's prepared request, and what the confirmation shows. */
export interface PreparedAgentEdit {
  readonly prepared: PreparedEdit;
  readonly plan: AgentPlan;
  readonly folder: vscode.WorkspaceFolder;
  readonly linkFrom?: WorkspacePath;
}

/**
 * gptImage_editImage's input → the edit engine of issue #13 (GenerationService.buildEdit: reads the files,
 * refuses ones linked outside the workspace, validates count, formats, sizes and mask). The result goes
 * beside the original as `<original>-edit-<time>.<ext>`; `folder` moves it elsewhere inside the same
 * workspace folder, `fileName` replaces `<original>` in that name (the engine's naming, never overwriting).
 */
export async function prepareAgentEdit(generation: GenerationService, input: EditToolInput, now: Date): Promise<PreparedAgentEdit> {
  const images = input.images.map((image, i) => resolveWorkspacePath(image, `images[${i}]`));
  const folder = images[0]?.folder;
  if (folder === undefined) throw new ImageApiError('validation', 'Input "images": give at least one workspace path of an image.', { param: 'images' }); // parseEditInput refuses that already
  const mask = input.mask !== undefined ? resolveWorkspacePath(input.mask, 'mask', folder) : undefined;
  const linkFrom = input.linkFrom !== undefined ? resolveWorkspacePath(input.linkFrom, 'linkFrom', folder) : undefined;
  const prepared = await generation.buildEdit(
    input.prompt,
    { images: images.map((image) => vscode.Uri.file(image.absolute)), ...(mask && { mask: vscode.Uri.file(mask.absolute) }) },
    input.options,
  );
  let target = prepared.target;
  if (input.folder !== undefined) {
    const dir = resolveAssetsDir(folder.uri.fsPath, input.folder, folderInputField);
    if (!staysInsideRealSync(folder.uri.fsPath, dir)) {
      throw new ImageApiError('validation', `Input "folder" (${JSON.stringify(input.folder.slice(0, 200))}) leads outside the workspace folder through a symbolic link.`, { param: 'folder' });
    }
    refuseRealVcs(folder, dir, 'folder');
    target = { ...target, dir };
  }
  if (input.fileName !== undefined) target = { ...target, original: `${input.fileName}${path.extname(target.original)}` };
  const request = prepared.request;
  const destinations = predictEditNames(target.original, request.n, extensionFor(request.outputFormat ?? 'png'), target.dir, now).map((name) =>
    shownPath(folder, path.join(target.dir, name)),
  );
  const plan: AgentPlan = {
    tool: 'edit',
    request,
    destinations,
    estimate: generation.estimate(request, folder.uri),
    sources: images.map((image) => image.shown),
    ...(mask && { mask: mask.shown }),
    ...(linkFrom && { linkFrom: linkFrom.shown }),
  };
  return { prepared: { ...prepared, target }, plan, folder, ...(linkFrom && { linkFrom }) };
}

/** The engine's edit names (`<base>-edit-<time>`, an earlier edit's suffix dropped), moved past taken ones. */
function predictEditNames(original: string, count: number, ext: string, dir: string, now: Date): string[] {
  const base = path.basename(original, path.extname(original)).replace(/-edit-\d{8}-\d{6}(-\d+)*$/, '') || 'image';
  const taken = new Set<string>();
  return numberedNames(`${base}-edit-${timestamp(now)}`, count, ext).map((name) => {
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
