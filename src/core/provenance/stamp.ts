import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorCode, ImageApiError } from '../errors';
import { createTempFile } from '../tempFile';
import type { GenerationRequest, GenerationResult, SpooledImage } from '../types';
import { readImageFileInfo } from './imageFileInfo';
import { afterIhdr } from './pngChunks';
import { provenanceChunk } from './promptChunk';
import { embedProvenance, type ImageProvenance } from './promptChunk';

/** What provenanceFor reads of an answer (in memory or spooled to temp files). */
export type ResultFacts = Pick<GenerationResult, 'outputFormat' | 'requestId' | 'usage'> & { readonly images: readonly { readonly revisedPrompt?: string }[] };

/** What the engine adds to each unsigned PNG besides the request and the answer (see promptChunk.ts). */
export interface ProvenanceStamp {
  /** e.g. `GPT Image Studio 0.1.0`. */
  readonly tool: string;
  /** Workspace-relative paths of the images an edit started from. */
  readonly parents?: readonly string[];
}

/** The record for image `index` (0-based) of a generation. */
export function provenanceFor(request: GenerationRequest, result: ResultFacts, index: number, now: Date, stamp: ProvenanceStamp): ImageProvenance {
  const usage = result.usage;
  const record: ImageProvenance = {
    prompt: request.prompt,
    model: request.model,
    size: request.size,
    quality: request.quality,
    background: request.background,
    outputFormat: result.outputFormat,
    n: result.images.length,
    index: index + 1,
    created: now.toISOString(),
    requestId: result.requestId,
    revisedPrompt: result.images[index]?.revisedPrompt,
    usage: usage && { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.total_tokens },
    parents: stamp.parents?.length ? stamp.parents : undefined,
    tool: stamp.tool,
  };
  return JSON.parse(JSON.stringify(record)) as ImageProvenance; // drops the undefined fields
}

/**
 * The bytes to save for each image: with our iTXt record where the image is an unsigned PNG, as
 * received otherwise (signed files, JPEG, WebP). Pure, so saving keeps all its guarantees: the
 * stamped bytes go through saveImages like any others.
 */
export function stampImages(request: GenerationRequest, result: GenerationResult, now: Date, stamp: ProvenanceStamp): Uint8Array[] {
  return result.images.map((image, k) => embedProvenance(image.bytes, provenanceFor(request, result, k, now, stamp)).bytes);
}

/**
 * {@link stampImages} for an answer whose images may be temp files (the streaming decode, issue #11):
 * an unsigned PNG temp file is copied into a new temp file beside it with our chunk after IHDR (head,
 * chunk, then the rest in 1 MB pieces, fsynced), and the old one removed; the caller saves the new one
 * like any other and removes it on failure. Signed, JPEG and WebP files are kept as they are.
 */
export async function stampSpooledImages(
  request: GenerationRequest,
  result: Omit<ResultFacts, 'images'> & { readonly images: readonly SpooledImage[] },
  now: Date,
  stamp: ProvenanceStamp,
  /** The spool folder's check (still the folder it was, inside the workspace, not in .git), run before each new temp file. */
  recheck?: () => Promise<void>,
  signal?: AbortSignal,
): Promise<SpooledImage[]> {
  const out: SpooledImage[] = [];
  try {
    for (const [k, image] of result.images.entries()) {
      if (signal?.aborted) throw new ImageApiError('cancelled', 'Saving the images was cancelled.');
      const record = provenanceFor(request, result, k, now, stamp);
      if ('bytes' in image) out.push({ ...image, bytes: Buffer.from(embedProvenance(image.bytes, record).bytes) });
      else out.push(await stampTempFile(image, record, recheck));
    }
  } catch (error) {
    // The caller removes the originals; the stamped copies made so far are only known here.
    const originals = new Set(result.images.map((image) => ('tempFile' in image ? image.tempFile : undefined)));
    const made = out.flatMap((image) => ('tempFile' in image && !originals.has(image.tempFile) ? [image.tempFile] : []));
    await Promise.all(made.map((file) => fs.rm(file, { force: true }).catch(() => undefined)));
    throw error;
  }
  return out;
}

async function stampTempFile(image: Extract<SpooledImage, { tempFile: string }>, record: ImageProvenance, recheck: (() => Promise<void>) | undefined): Promise<SpooledImage> {
  try {
    return await copyWithChunk(image, record, recheck);
  } catch (error) {
    if (error instanceof ImageApiError) throw error;
    throw new ImageApiError('io', `Could not add the prompt to the image in ${path.dirname(image.tempFile)}: ${errorCode(error) ?? String(error)}. Nothing was saved.`, { cause: error });
  }
}

async function copyWithChunk(image: Extract<SpooledImage, { tempFile: string }>, record: ImageProvenance, recheck: (() => Promise<void>) | undefined): Promise<SpooledImage> {
  const info = await readImageFileInfo(image.tempFile);
  if (info.format !== 'png' || info.contentCredentials || info.width === undefined || info.problems.length > 0) return image;
  const chunk = provenanceChunk(record);
  const dir = path.dirname(image.tempFile);
  const { name, handle } = await createTempFile(dir, recheck);
  const stamped = path.join(dir, name);
  try {
    const source = await fs.open(image.tempFile, 'r');
    try {
      const head = Buffer.alloc(afterIhdr);
      await source.read(head, 0, afterIhdr, 0);
      await handle.write(Buffer.concat([head, chunk]));
      const buffer = Buffer.alloc(1024 * 1024);
      for (let offset = afterIhdr; ; ) {
        const { bytesRead } = await source.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        await handle.write(buffer.subarray(0, bytesRead));
        offset += bytesRead;
      }
      await handle.sync();
    } finally {
      await source.close().catch(() => undefined);
    }
    await handle.close();
  } catch (error) {
    // Whatever failed (the source's open, a write, the fsync, the close), the copy goes.
    await handle.close().catch(() => undefined);
    await fs.rm(stamped, { force: true }).catch(() => undefined);
    throw error;
  }
  await fs.rm(image.tempFile, { force: true }).catch(() => undefined); // else the caller's cleanup removes it
  return { ...image, tempFile: stamped, byteLength: image.byteLength + chunk.length };
}
