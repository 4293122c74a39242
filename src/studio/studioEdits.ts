import * as crypto from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { maxEditImageBytes } from '../core/editValidate';
import { ImageApiError } from '../core/errors';
import { readFileImageInfo } from '../core/imageFileSize';
import type { ImageDimensions } from '../core/imageSize';
import { timestamp } from '../core/naming';
import { encodeRgbaPng } from '../core/png';
import { discardTempImage, saveImages, writeTempImage } from '../core/save';
import { fileExists } from '../editor/imageActions';
import { resolveStoredPath, type HistoryEntry } from '../generation/history';
import { workspaceFileFolders } from '../generation/historyFiles';
import type { GenerationService } from '../generation/generationService';
import type { PreparedEdit } from '../generation/editSources';
import type { EditFromWebview, EditImageInfo, EditImageRef, EditPurpose } from '../shared/editProtocol';
import { maxEditSources } from '../shared/editProtocol';
import { plural } from '../shared/labels';
import { maskRgba, paintedCount, type MaskPaint } from '../shared/maskModel';
import { MaskTooComplexError, rasterizeMaskAsync } from '../shared/maskRaster';
import { plainText, quoteValue } from '../shared/plainText';
import type { GalleryEntry, RunId, ToWebview } from '../shared/protocol';
import { elapsedSince } from './galleryModel';
import type { StudioRuns } from './studioRuns';

/** Picked files remembered per panel (tokens), oldest dropped first. */
export const maxPickedFiles = 64;
/** The largest image the API makes (3840x2160, images-api.md): a painted mask is refused above it (memory and time). */
export const maxMaskPixels = 3840 * 2160;
const editableExtensions = ['png', 'jpg', 'jpeg', 'webp'];

/** What the panel lends its edit mode. */
export interface EditHost {
  readonly generation: GenerationService;
  readonly runs: StudioRuns;
  post(message: ToWebview): void;
  postError(error: unknown, runId?: RunId): void;
  galleryEntry(entry: HistoryEntry): GalleryEntry;
  /** asWebviewUri when the file is under the panel's resource roots. */
  webviewSrc(uri: vscode.Uri): string | undefined;
  updateRoots(): void;
}

/**
 * The Studio's edit mode on the host (issue #13): describes images for the page (natural size read from
 * the file, never trusted from the webview), lets the user pick reference files of the workspace, and
 * runs `edit` messages like Studio generations (run id, progress, cancel, cost, errors).
 *
 * Security: the webview names gallery images by entry id + index and picked files by a token this
 * object made; every file must be an existing image in an open workspace folder (prepareEdit checks
 * the folder again with symlinks resolved). The mask arrives as bounded brush operations (checked by
 * isFromWebview), is rasterized here at the source's real size and encoded as PNG; a mask painted for
 * another size is refused. The painted mask is saved beside the results (`…-mask.png`) for the lineage,
 * named only once the edit succeeded (a temp file until then).
 */
export class StudioEdits {
  private readonly picked = new Map<string, vscode.Uri>();
  /** Describes run one at a time per panel (the webview can send any number). */
  private describing: Promise<void> = Promise.resolve();

  constructor(private readonly host: EditHost) {}

  handle(message: EditFromWebview): Promise<void> {
    switch (message.type) {
      case 'describeImage': {
        const next = this.describing.then(() => this.describe(message.purpose, { kind: 'gallery', id: message.id, index: message.index }));
        this.describing = next.then(undefined, () => undefined);
        return next;
      }
      case 'pickReferences':
        return this.pickReferences();
      case 'reuseEdit':
        return this.reuseEdit(message.id);
      case 'edit':
        return this.edit(message);
    }
  }

  private async describe(purpose: EditPurpose, ref: EditImageRef): Promise<void> {
    const uri = await this.resolve(ref);
    const { width, height } = await imageDimensions(uri);
    const image: EditImageInfo = { ref, label: vscode.workspace.asRelativePath(uri), width, height, ...srcOf(this.host.webviewSrc(uri)) };
    this.host.post({ type: 'editImage', purpose, image });
  }

  private async pickReferences(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.uri.scheme === 'file');
    if (!folder) throw new ImageApiError('validation', 'Open a workspace folder first: reference images come from the workspace.');
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: true,
      canSelectFiles: true,
      canSelectFolders: false,
      defaultUri: folder.uri,
      openLabel: 'Use as Reference',
      title: 'GPT Image: Reference images for the edit',
      filters: { Images: editableExtensions },
    });
    if (!uris?.length) return;
    for (const uri of uris.slice(0, maxEditSources)) {
      if (uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(uri)) {
        throw new ImageApiError('validation', plainText(`${quoteValue(path.basename(uri.fsPath), 60)} is outside the workspace: reference images must be workspace files (copy it there first).`), {
          param: 'images',
        });
      }
      await this.describe('reference', this.remember(uri));
    }
  }

  /** A token for a workspace file the host chose (a picked file, an edit's parent); the oldest is forgotten past {@link maxPickedFiles}. */
  private remember(uri: vscode.Uri): EditImageRef {
    const token = `pick-${crypto.randomBytes(12).toString('hex')}`;
    this.picked.set(token, uri);
    if (this.picked.size > maxPickedFiles) this.picked.delete(this.picked.keys().next().value as string);
    return { kind: 'picked', token };
  }

  /**
   * Reuse Prompt on an edit's card: the images it was made from (the history's parents, in order), those
   * that still exist as editable images in an open workspace folder, named by fresh tokens. The mask
   * is not brought back (it is a file of pixels, not brush strokes).
   */
  private async reuseEdit(id: string): Promise<void> {
    const entry = this.host.generation.historyEntry(id);
    const parents = entry?.parents ?? [];
    const images: EditImageInfo[] = [];
    let missing = 0;
    for (const stored of parents.slice(0, maxEditSources)) {
      const absolute = entry && resolveStoredPath(entry, stored, workspaceFileFolders());
      const uri = absolute ? vscode.Uri.file(absolute) : undefined;
      try {
        if (!uri || !(await fileExists(uri)) || !vscode.workspace.getWorkspaceFolder(uri)) throw new Error('gone');
        const { width, height } = await imageDimensions(uri);
        images.push({ ref: this.remember(uri), label: vscode.workspace.asRelativePath(uri), width, height, ...srcOf(this.host.webviewSrc(uri)) });
      } catch {
        missing++;
      }
    }
    this.host.post({ type: 'editReused', id, images, missing });
  }

  private async edit(message: Extract<EditFromWebview, { type: 'edit' }>): Promise<void> {
    const { runId, prompt, options } = message;
    const { runs } = this.host;
    const run = runs.start(runId, prompt, (elapsedSeconds) => this.host.post({ type: 'progress', runId, elapsedSeconds }));
    if (run === 'repeatedId') return;
    if (run === 'busy') {
      this.host.post({ type: 'stopped', runId, message: 'A generation is already running: cancel it first or wait for it.' });
      return;
    }
    // The painted mask waits in a hidden temp file while the edit runs and gets its name only once the
    // results are saved (L4): a host killed mid-edit leaves no orphaned `…-mask.png`, only a temp name
    // the next save in that folder sweeps.
    let staged: StagedMask | undefined;
    try {
      const images = await Promise.all(message.images.map((ref) => this.resolve(ref)));
      const mask = message.mask && (await maskPng(message.mask, images[0]!, run.signal)); // the message was checked: 1–16 images
      let prepared: PreparedEdit = await this.host.generation.buildEdit(prompt, { images, ...(mask && { mask: { name: 'mask.png', bytes: mask } }) }, options);
      this.host.post({ type: 'started', runId, prompt });
      if (run.signal.aborted) throw new ImageApiError('cancelled', 'Edit cancelled.');
      if (mask) {
        staged = await stageMask(prepared, mask);
        prepared = { ...prepared, placeMask: staged.place };
      }
      const outcome = await this.host.generation.edit(prepared, run.signal, options);
      this.host.updateRoots();
      const where = vscode.workspace.asRelativePath(path.dirname(outcome.files[0]!.fsPath)); // an outcome has at least one file
      this.host.post({
        type: 'result',
        runId,
        entry: this.host.galleryEntry(outcome.entry),
        message: `Edited ${path.basename(images[0]!.fsPath)}${!mask ? '' : outcome.entry.mask !== undefined ? ' with a mask' : ' with a mask (the mask file could not be saved beside it)'}: ${plural(outcome.files.length, 'image')} in ${elapsedSince(run.startedAt)} s, saved in ${where}.`,
      });
    } catch (error) {
      this.host.postError(error, runId);
    } finally {
      // The mask belongs to the edit's lineage: without an edit it is clutter.
      await staged?.discard();
      runs.finish(runId);
    }
  }

  /** The file behind a ref: an existing gallery image or a file this panel's picker returned. */
  private async resolve(ref: EditImageRef): Promise<vscode.Uri> {
    let uri: vscode.Uri | undefined;
    if (ref.kind === 'gallery') {
      const entry = this.host.generation.historyEntry(ref.id);
      const file = entry?.files[ref.index];
      const absolute = entry && file ? resolveStoredPath(entry, file, workspaceFileFolders()) : undefined;
      uri = absolute ? vscode.Uri.file(absolute) : undefined;
    } else {
      uri = this.picked.get(ref.token);
    }
    if (!uri || !(await fileExists(uri))) {
      throw new ImageApiError('validation', 'That image no longer exists (or the Studio was reopened since it was picked): add it again.', { param: 'images' });
    }
    if (!vscode.workspace.getWorkspaceFolder(uri)) {
      throw new ImageApiError('validation', plainText(`${quoteValue(path.basename(uri.fsPath), 60)} is outside the open workspace folders; the Studio edits workspace images only.`), { param: 'images' });
    }
    return uri;
  }
}

function srcOf(src: string | undefined): { src?: string } {
  return src === undefined ? {} : { src };
}

/** Natural pixel size from the file's bytes (sniffed format), refusing what the edit endpoint cannot take. */
export async function imageDimensions(uri: vscode.Uri): Promise<ImageDimensions> {
  const name = quoteValue(path.basename(uri.fsPath), 60);
  const stats = await fs.stat(uri.fsPath);
  if (stats.size >= maxEditImageBytes) {
    throw new ImageApiError('validation', plainText(`${name} is ${Math.round(stats.size / 1e6)} MB; an image to edit must be under 50 MB.`), { param: 'images' });
  }
  // Bounded reads of the header (never the whole file: describes come from the untrusted webview).
  const dimensions = (await readFileImageInfo(uri.fsPath))?.dimensions;
  if (!dimensions) throw new ImageApiError('validation', plainText(`${name} is not a PNG, JPEG or WebP image; edits take those formats.`), { param: 'images' });
  return dimensions;
}

/** The mask PNG at the source's exact size: alpha 0 where painted. Refuses a paint for another size or an empty one. */
export async function maskPng(paint: MaskPaint, source: vscode.Uri, signal?: AbortSignal): Promise<Buffer> {
  const { width, height } = await imageDimensions(source);
  if (width * height > maxMaskPixels) {
    throw new ImageApiError(
      'validation',
      plainText(`${quoteValue(path.basename(source.fsPath), 60)} is ${width}x${height} pixels; a painted mask is made for images up to ${maxMaskPixels.toLocaleString('en-US')} pixels (3840x2160): make it smaller first, or edit it without a mask.`),
      { param: 'mask' },
    );
  }
  if (paint.width !== width || paint.height !== height) {
    throw new ImageApiError(
      'validation',
      plainText(`The mask was painted for ${paint.width}x${paint.height} but ${quoteValue(path.basename(source.fsPath), 60)} is ${width}x${height} now: click Edit on its card again.`),
      { param: 'mask' },
    );
  }
  let cover: Uint8Array;
  try {
    cover = await rasterizeMaskAsync(paint.ops, width, height, { signal, pause: () => new Promise((resolve) => setImmediate(resolve)) });
  } catch (error) {
    if (signal?.aborted) throw new ImageApiError('cancelled', 'Edit cancelled.');
    if (error instanceof MaskTooComplexError) throw new ImageApiError('validation', error.message, { param: 'mask' });
    throw error;
  }
  if (paintedCount(cover) === 0) {
    throw new ImageApiError('validation', 'The mask is empty: paint the area to change, or Clear the mask to edit the whole image.', { param: 'mask' });
  }
  return encodeRgbaPng(maskRgba(cover), width, height);
}

interface StagedMask {
  /** Gives the temp file its name `<original>-edit-<time>-mask.png` beside the results; undefined if that failed (the temp is gone then). */
  readonly place: () => Promise<vscode.Uri | undefined>;
  /** Removes the temp file unless it was placed. */
  readonly discard: () => Promise<void>;
}

/** Writes the mask PNG to a hidden temp file in the results' folder; its final name comes with {@link StagedMask.place}. */
async function stageMask(prepared: PreparedEdit, png: Buffer): Promise<StagedMask> {
  const { dir, root, original } = prepared.target;
  const temp = await writeTempImage(dir, png, root);
  let settled = false;
  return {
    place: async () => {
      if (settled) return undefined;
      settled = true;
      const base = path.basename(original, path.extname(original)).replace(/-edit-\d{8}-\d{6}(-\d+)*$/, '') || 'image';
      try {
        // saveImages consumes the temp file: placed (never overwriting, a taken name gets `-1`…) or removed.
        const [file] = await saveImages({ dir, root, names: [`${base}-edit-${timestamp(new Date())}-mask.png`], images: [temp] });
        return vscode.Uri.file(file!); // one name, one path
      } catch {
        // A save that failed before taking the temp (its folder gone or replaced by a link) leaves it to us.
        await discardTempImage(temp);
        return undefined;
      }
    },
    discard: async () => {
      if (settled) return;
      settled = true;
      await discardTempImage(temp);
    },
  };
}
