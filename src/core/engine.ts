import * as path from 'node:path';
import { generateImages, type ClientOptions } from './api/client';
import { editImages } from './api/edits';
import type { EditRequest } from './editTypes';
import { extensionFor, imageFileNames, numberedNames, timestamp } from './naming';
import { resolveAssetsDirReal } from './paths';
import { saveImages } from './save';
import { generateStreamed, type StreamPreviews, type StreamedGeneration } from './streamedGeneration';
import type { GenerationRequest, GenerationResult } from './types';

// The host loads this bundle lazily (generationService.loadEngine): the balance call needs undici too.
export { fetchBalance } from './api/balance';
/** The proxy transport lives in this bundle with undici; the host builds dispatchers through these (issue #11). */
export { closeProxyDispatchers, ProxyRouter } from './api/proxy';

/** Where generated images go: a workspace folder's assets folder, or an exact file the user chose. */
export type SaveTarget =
  | { readonly kind: 'assets'; readonly workspaceRoot: string; readonly assetsFolder: string }
  | { readonly kind: 'file'; readonly filePath: string };

export interface SavedGeneration {
  /** Absolute paths of the saved images, in the order the API returned them. */
  readonly files: readonly string[];
  /** With `stream`: a StreamedGeneration (usage per stream, failures of single streams). */
  readonly result: GenerationResult | StreamedGeneration;
}

/**
 * The whole engine in one call: request → images → files. Validation happens before (see validate.ts);
 * the target folder is checked before any network call, so a bad assetsFolder costs nothing.
 */
export async function generateAndSave(
  request: GenerationRequest,
  client: ClientOptions,
  target: SaveTarget,
  options: {
    readonly signal?: AbortSignal;
    readonly now?: () => Date;
    /** Stream with previews (issue #14): n parallel single streams, falling back to a plain request. */
    readonly stream?: StreamPreviews;
  } = {},
): Promise<SavedGeneration> {
  const dir =
    target.kind === 'assets'
      ? await resolveAssetsDirReal(target.workspaceRoot, target.assetsFolder)
      : path.dirname(target.filePath);
  const result =
    options.stream && options.stream.partialImages > 0
      ? await generateStreamed(request, client, options.stream, options.signal)
      : await generateImages(request, client, options.signal);
  const now = options.now?.() ?? new Date();
  const ext = extensionFor(result.outputFormat);
  const names =
    target.kind === 'assets'
      ? imageFileNames(request.prompt, result.images.length, ext, now)
      : namesFromFile(target.filePath, result.images.length, ext);
  const files = await saveImages({
    dir,
    // Checked again when saving: the request may take minutes, and the folder may change meanwhile.
    root: target.kind === 'assets' ? target.workspaceRoot : undefined,
    names,
    images: result.images.map((image) => image.bytes),
    signal: options.signal,
  });
  return { files, result };
}

/**
 * `hero.png` for one image; `hero-1.png`, `hero-2.png`… for several. The extension follows the bytes.
 * A long chosen name loses characters at the end of its base to make room for `-1` or a longer extension
 * (numberedNames keeps every name within 255 bytes), rather than failing with ENAMETOOLONG.
 */
function namesFromFile(filePath: string, count: number, ext: string): string[] {
  const base = path.basename(filePath, path.extname(filePath)) || 'image';
  return numberedNames(base, count, ext);
}

/** Where an edit's results go: the original's folder, which must stay inside `root` (the workspace folder). */
export interface EditSaveTarget {
  readonly dir: string;
  readonly root?: string;
  /** The original's file name; results are `<its base>-edit-<time>.<ext>`. */
  readonly original: string;
}

/**
 * An edit in one call: validated request → `/images/edits` → new files beside the original, named
 * `<original>-edit-<time>.<ext>` (`-1`, `-2`… for several; taken names get the next free number).
 * Never writes to the original, never overwrites. Validate first with validateEdit.
 */
export async function editAndSave(
  request: EditRequest,
  client: ClientOptions,
  target: EditSaveTarget,
  options: { readonly signal?: AbortSignal; readonly now?: () => Date } = {},
): Promise<SavedGeneration> {
  const result = await editImages(request, client, options.signal);
  const now = options.now?.() ?? new Date();
  const names = editFileNames(target.original, result.images.length, extensionFor(result.outputFormat), now);
  const files = await saveImages({
    dir: target.dir,
    root: target.root,
    names,
    images: result.images.map((image) => image.bytes),
    signal: options.signal,
  });
  return { files, result };
}

/**
 * `<base>-edit-<stamp>.<ext>`; an earlier edit's `-edit-<stamp>` (and `-N`) is dropped from the base
 * first, so editing an edit gives `hero-edit-<new stamp>.png`, not an ever longer name.
 */
export function editFileNames(original: string, count: number, ext: string, now: Date): string[] {
  const base = path.basename(original, path.extname(original)).replace(/-edit-\d{8}-\d{6}(-\d+)*$/, '') || 'image';
  return numberedNames(`${base}-edit-${timestamp(now)}`, count, ext);
}

export { validateEdit } from './editValidate';
export { readEditFiles } from './editFiles';
