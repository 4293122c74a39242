import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { generateImagesToFiles, type ClientOptions } from './api/client';
import { editImagesToFiles } from './api/edits';
import type { EditRequest } from './editTypes';
import { extensionFor, imageFileNames, numberedNames, timestamp } from './naming';
import type { SpoolTarget } from './api/streamingImages';
import { errorCode, ImageApiError } from './errors';
import { quoteValue } from '../shared/plainText';
import { isInside, resolveAssetsDirReal, type FolderField } from './paths';
import { vcsSegment } from './vcsGuard';
import { stampSpooledImages, type ProvenanceStamp } from './provenance/stamp';
import { saveImages } from './save';
import { generateStreamed, type StreamPreviews, type StreamedGeneration } from './streamedGeneration';
import type { GenerationRequest, GenerationResult, SpooledGenerationResult, SpooledImage } from './types';

// The host loads this bundle lazily (generationService.loadEngine): the balance call needs undici too.
export { fetchBalance } from './api/balance';
/** The proxy transport lives in this bundle with undici; the host builds dispatchers through these (issue #11). */
export { closeProxyDispatchers, ProxyRouter } from './api/proxy';

/**
 * Where generated images go: a folder inside a workspace folder (the assets folder, or one an agent
 * tool named), or an exact file the user chose.
 */
export type SaveTarget =
  | {
      readonly kind: 'assets';
      readonly workspaceRoot: string;
      /** Relative to workspaceRoot; refused when it leaves it (also through symlinks). */
      readonly assetsFolder: string;
      /** Who chose the folder, for messages (the host passes its setting's name); default `The assets folder`. */
      readonly folderField?: FolderField;
      /** A file name without extension (agent tools' `fileName`) instead of `<prompt slug>-<time>`. */
      readonly baseName?: string;
    }
  | { readonly kind: 'file'; readonly filePath: string };

export interface SavedGeneration {
  /** Absolute paths of the saved images, in the order the API returned them. */
  readonly files: readonly string[];
  /**
   * What the API said; with `stream` a StreamedGeneration (usage per stream, failures of single streams).
   * The images' bytes are in `files` only: a result never holds them (issue #11).
   */
  readonly result: WithoutBytes<GenerationResult> | WithoutBytes<StreamedGeneration>;
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
    /** Embed the prompt and options in unsigned PNGs (the host's embed-prompt setting, issue #15). */
    readonly provenance?: ProvenanceStamp;
  } = {},
): Promise<SavedGeneration> {
  const dir =
    target.kind === 'assets'
      ? await resolveAssetsDirReal(target.workspaceRoot, target.assetsFolder, target.folderField)
      : path.dirname(target.filePath);
  // Without previews the images are decoded into temp files beside their destination while the answer
  // arrives, so saving is a rename and memory does not grow with the answer (issue #11).
  const stream = options.stream && options.stream.partialImages > 0 ? options.stream : undefined;
  let spool: SpoolTarget | undefined;
  let result: SpooledGenerationResult | StreamedGeneration;
  if (stream) result = await generateStreamed(request, client, stream, options.signal);
  else {
    spool = await spoolTarget(dir, target.kind === 'assets' ? target.workspaceRoot : undefined);
    result = await generateImagesToFiles(request, client, spool, options.signal);
  }
  let images: readonly SpooledImage[] = result.images;
  try {
    const now = options.now?.() ?? new Date();
    if (options.provenance) images = await stampSpooledImages(request, result, now, options.provenance, spool?.recheck, options.signal);
    const ext = extensionFor(result.outputFormat);
    const names =
      target.kind === 'file'
        ? namesFromFile(target.filePath, result.images.length, ext)
        : target.baseName !== undefined
          ? numberedNames(target.baseName, result.images.length, ext)
          : imageFileNames(request.prompt, result.images.length, ext, now);
    const files = await saveImages({
      dir,
      // Checked again when saving: the request may take minutes, and the folder may change meanwhile.
      root: target.kind === 'assets' ? target.workspaceRoot : undefined,
      names,
      images: images.map((image: SpooledImage) => ('tempFile' in image ? { tempFile: image.tempFile } : image.bytes)),
      signal: options.signal,
    });
    return { files, result: withoutBytes(result) };
  } finally {
    // Saved ones were renamed or linked away already; the rest (a failed save, a throw before it) go.
    await removeTemps([...result.images, ...images]);
  }
}

/** What a saved image was: its size and format (the bytes are in the file). */
export interface ImageInfo {
  readonly byteLength: number;
  readonly format: GenerationResult['outputFormat'];
  readonly revisedPrompt?: string;
}

export type WithoutBytes<T extends { readonly images: readonly unknown[] }> = Omit<T, 'images'> & { readonly images: readonly ImageInfo[] };

function withoutBytes<T extends { readonly images: readonly SpooledImage[] }>(result: T): WithoutBytes<T> {
  const images = result.images.map((image) => ({
    byteLength: 'tempFile' in image ? image.byteLength : image.bytes.length,
    format: image.format,
    ...(image.revisedPrompt !== undefined && { revisedPrompt: image.revisedPrompt }),
  }));
  return { ...result, images };
}

/**
 * Where the temp files go: `dir` if it exists, else its deepest existing ancestor, with symlinks resolved;
 * refused (before anything is sent) when that lies outside `root` or in `.git`. The same file system as the
 * destination, so saving is a rename. Before each temp file the path must still resolve the same way.
 */
async function spoolTarget(dir: string, root: string | undefined): Promise<SpoolTarget> {
  const realRoot = root === undefined ? undefined : await fs.realpath(root).catch(() => undefined);
  if (root !== undefined && realRoot === undefined) {
    throw new ImageApiError('io', `Could not save images to ${dir}: the workspace folder ${root} cannot be read, so nothing was sent or written.`);
  }
  let existing = path.resolve(dir);
  for (;;) {
    let real: string;
    try {
      real = await fs.realpath(existing);
    } catch (error) {
      const parent = path.dirname(existing);
      if ((errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') || parent === existing) {
        throw new ImageApiError('io', `Could not check the folder ${existing}: ${errorCode(error) ?? String(error)}.`, { cause: error });
      }
      existing = parent;
      continue;
    }
    const shown = existing;
    // Temp files are writes too: never outside the workspace (an edit's folder is checked when its image
    // is read; a link swapped in since must not take the download elsewhere) …
    if (realRoot !== undefined && !isInside(realRoot, real)) {
      throw new ImageApiError('io', `Could not save images to ${dir}: the folder ${shown} leads outside the workspace folder through a symbolic link (to ${real}), so nothing was sent or written.`);
    }
    // … and never into .git (issue #12), whatever moved since the folder was checked.
    const vcs = realRoot === undefined ? undefined : vcsSegment(path.relative(realRoot, real));
    if (vcs !== undefined) {
      throw new ImageApiError('io', `Could not save images to ${dir}: the folder ${shown} leads into version control metadata (${quoteValue(vcs)}), so nothing was written there.`);
    }
    const recheck = async (): Promise<void> => {
      const now = await fs.realpath(shown).catch(() => undefined);
      if (now === real) return;
      const where =
        now !== undefined && realRoot !== undefined && !isInside(realRoot, now)
          ? `leads outside the workspace folder through a symbolic link (to ${now})`
          : 'changed while the images were arriving';
      throw new ImageApiError('io', `Could not save images to ${dir}: the folder ${shown} ${where}, so nothing was written there.`);
    };
    return { dir: real, recheck };
  }
}

async function removeTemps(images: readonly SpooledImage[]): Promise<void> {
  const temps = images.flatMap((image) => ('tempFile' in image ? [image.tempFile] : []));
  await Promise.all(temps.map((file) => fs.rm(file, { force: true }).catch(() => undefined)));
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
  options: {
    readonly signal?: AbortSignal;
    readonly now?: () => Date;
    /**
     * Embed the prompt, options and the parents (`stamp.parents`, workspace-relative) in each unsigned
     * PNG result, as generations do (the host's embed-prompt setting). A signed result is saved as received.
     */
    readonly provenance?: ProvenanceStamp;
  } = {},
): Promise<SavedGeneration> {
  const spool = await spoolTarget(target.dir, target.root);
  const result = await editImagesToFiles(request, client, spool, options.signal);
  let images: readonly SpooledImage[] = result.images;
  try {
    const now = options.now?.() ?? new Date();
    if (options.provenance) images = await stampSpooledImages(request, result, now, options.provenance, spool.recheck, options.signal);
    const names = editFileNames(target.original, result.images.length, extensionFor(result.outputFormat), now);
    const files = await saveImages({
      dir: target.dir,
      root: target.root,
      names,
      images: images.map((image: SpooledImage) => ('tempFile' in image ? { tempFile: image.tempFile } : image.bytes)),
      signal: options.signal,
    });
    return { files, result: withoutBytes(result) };
  } finally {
    await removeTemps([...result.images, ...images]);
  }
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
