import * as path from 'node:path';
import * as vscode from 'vscode';
import { ImageApiError } from '../core/errors';
import type { EditSaveTarget } from '../core/engine';
import type { EditInput, EditRequest, NamedBytes } from '../core/editTypes';
import { quoteValue } from '../shared/plainText';

/** What a surface edits: workspace image files and an optional mask (a file, or PNG bytes painted in the Studio). */
export interface EditSources {
  /** The first is the image edited (the mask applies to it, the results go beside it); the others are references. 1–16. */
  readonly images: readonly vscode.Uri[];
  readonly mask?: vscode.Uri | NamedBytes;
}

/** A checked edit, ready for GenerationService.edit: nothing has been sent yet. */
export interface PreparedEdit {
  readonly request: EditRequest;
  /** The original's folder, inside its workspace folder. */
  readonly target: EditSaveTarget;
  /** For the history's lineage. */
  readonly parents: readonly vscode.Uri[];
  readonly maskFile?: vscode.Uri;
  /**
   * A mask not yet in the folder (the Studio's painted one, in a temp file while the edit runs): called
   * once the results are saved, before the history entry is written; resolves the placed file for the
   * lineage, or undefined when it could not be placed.
   */
  readonly placeMask?: () => Promise<vscode.Uri | undefined>;
  /** The workspace folder's URI: settings are read for it. */
  readonly resource: vscode.Uri;
}

type EditEngine = Pick<typeof import('../core/engine'), 'readEditFiles' | 'validateEdit'>;

const maxImages = 16;

/**
 * Reads and checks an edit's files before anything is sent: every file must be in the first image's
 * workspace folder on disk (symlinks resolved, so a repository cannot link a private file into an
 * upload), and the engine validates count, formats, sizes and the mask. Throws ImageApiError('validation').
 */
export async function prepareEdit(engine: EditEngine, options: Omit<EditInput, 'images' | 'mask'>, sources: EditSources): Promise<PreparedEdit> {
  const [first] = sources.images;
  if (!first) throw new ImageApiError('validation', 'Pick an image to edit.', { param: 'images' });
  if (sources.images.length > maxImages) {
    throw new ImageApiError('validation', `An edit takes at most ${maxImages} images, not ${sources.images.length}: the first is edited, the rest are references.`, {
      param: 'images',
    });
  }
  const maskFile = sources.mask instanceof vscode.Uri ? sources.mask : undefined;
  const folder = vscode.workspace.getWorkspaceFolder(first);
  if (first.scheme !== 'file' || !folder || folder.uri.scheme !== 'file') {
    throw new ImageApiError('validation', `${quoteValue(path.basename(first.path), 60)} is not in an open workspace folder on disk; Edit Image works on images of the workspace (copy it there first).`, {
      param: 'images',
    });
  }
  for (const uri of [...sources.images, ...(maskFile ? [maskFile] : [])]) {
    if (uri.scheme !== 'file' || vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() !== folder.uri.toString()) {
      throw new ImageApiError('validation', `${quoteValue(path.basename(uri.path), 60)} is not in the workspace folder ${quoteValue(folder.name)} of the image edited; every file of an edit must be.`, {
        param: uri === maskFile ? 'mask' : 'images',
      });
    }
  }
  const root = folder.uri.fsPath;
  const read = await engine.readEditFiles({ images: sources.images.map((uri) => uri.fsPath), ...(maskFile && { mask: maskFile.fsPath }) }, root);
  const mask = maskFile ? read.mask : (sources.mask as NamedBytes | undefined);
  const request = await engine.validateEdit({ ...options, images: read.images, ...(mask && { mask }) });
  return {
    request,
    target: { dir: path.dirname(first.fsPath), root, original: path.basename(first.fsPath) },
    parents: sources.images,
    ...(maskFile && { maskFile }),
    resource: folder.uri,
  };
}
