import * as path from 'node:path';
import { quoteValue } from '../shared/plainText';
import type { OutputFormat } from '../shared/options';
import { describeNonImage, sniffImageFormat } from './api/sniff';
import { formatBytes } from './api/units';
import { ImageApiError } from './errors';
import { readDimensions } from './imageSize';
import { jpegToPng } from './jpegToPng';
import { extensionFor } from './naming';
import { countAlpha, hasAlphaChannel, PngFormatError, readPng } from './png';
import type { EditInput, EditRequest, EditSourceImage, NamedBytes } from './editTypes';
import { validateRequest } from './validate';

/** The API's limits for `/images/edits` (images-api.md). */
export const maxEditImages = 16;
/** Each image must be under 50 MB. */
export const maxEditImageBytes = 50 * 1024 * 1024;
/** The mask must be under 4 MB. */
export const maxMaskBytes = 4 * 1024 * 1024;
/**
 * Most pixels decoded here: a mask's alpha is checked row by row, a JPEG converted whole (≈ 4 bytes a
 * pixel twice over). 50 megapixels covers phone cameras; a header claiming more (a "PNG bomb" of a few
 * MB that inflates to gigabytes) is refused before anything is inflated.
 */
export const maxDecodedPixels = 50_000_000;

/**
 * Checks an edit before anything is sent (issue #13) and returns the request the client sends:
 * 1–16 images, each sniffed as PNG, JPEG or WebP from its bytes (never its extension), under 50 MB,
 * with readable dimensions; an optional mask that is a PNG under 4 MB with an alpha channel, the first
 * image's exact size, and both fully transparent pixels (the area to change) and others. A JPEG edited
 * with a mask is converted to PNG; a WebP edited with a mask is refused (no honest converter here).
 * The prompt and options follow the generation rules (validate.ts), without `moderation` (generations
 * only). Throws ImageApiError('validation') naming the file and the rule; `param` is the field.
 */
export async function validateEdit(input: EditInput): Promise<EditRequest> {
  const images = input.images ?? [];
  if (images.length === 0) fail('images', 'Pick an image to edit.');
  if (images.length > maxEditImages) {
    fail('images', `An edit takes at most ${maxEditImages} images, not ${images.length}: the first is edited, the rest are references.`);
  }
  const { moderation: _moderation, user: _user, ...common } = validateRequest({ ...input, moderation: undefined, user: undefined });
  const checked = images.map((image, index) => checkImage(image, index));
  const first = checked[0]!; // there is one: an empty list failed above
  const mask = input.mask === undefined ? undefined : await checkMask(input.mask, first);
  if (mask) checked[0] = await convertForMask(first);
  return { ...common, images: checked, ...(mask && { mask }) };
}

function fail(param: string, message: string): never {
  throw new ImageApiError('validation', message, { param });
}

/** A file's name for a message: its base name, quoted and plain (a repository chooses file names). */
export function shownName(name: string): string {
  return quoteValue(path.basename(name || 'image'), 60);
}

function checkImage(image: NamedBytes, index: number): EditSourceImage {
  const shown = shownName(image.name);
  const bytes = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
  if (bytes.length >= maxEditImageBytes) {
    fail('images', `${shown} is ${formatBytes(bytes.length)}; each image of an edit must be under ${formatBytes(maxEditImageBytes)}.`);
  }
  const format = sniffImageFormat(bytes);
  if (!format) {
    fail('images', `${shown} is not a PNG, JPEG or WebP image but ${describeNonImage(bytes)}; edits take only those formats.`);
  }
  const size = readDimensions(bytes, format);
  if (!size) fail('images', `${shown} looks like ${formatName(format)} but its header is damaged: its size cannot be read.`);
  return { source: image.name, fileName: partFileName(image.name, format, index), bytes, format, ...size };
}

async function checkMask(mask: NamedBytes, first: EditSourceImage): Promise<EditSourceImage> {
  const shown = shownName(mask.name);
  const bytes = Buffer.from(mask.bytes.buffer, mask.bytes.byteOffset, mask.bytes.byteLength);
  if (bytes.length >= maxMaskBytes) {
    fail('mask', `The mask ${shown} is ${formatBytes(bytes.length)}; a mask must be under ${formatBytes(maxMaskBytes)}.`);
  }
  const format = sniffImageFormat(bytes);
  if (format !== 'png') {
    const what = format ? formatName(format) : describeNonImage(bytes);
    fail('mask', `The mask ${shown} is ${what}; a mask must be a PNG with an alpha channel.`);
  }
  let png;
  try {
    png = readPng(bytes);
  } catch (error) {
    throw damaged(shown, error);
  }
  const { width, height } = png.header;
  if (!hasAlphaChannel(png.header)) {
    fail('mask', `The mask ${shown} has no alpha channel; save it as a PNG with transparency (RGBA), transparent where the image should change.`);
  }
  if (width !== first.width || height !== first.height) {
    fail(
      'mask',
      `The mask ${shown} is ${width}×${height} pixels but the image it applies to, ${shownName(first.source)}, is ` +
        `${first.width}×${first.height}; the mask must be exactly the first image's size.`,
    );
  }
  if (width * height > maxDecodedPixels) {
    fail('mask', `The mask ${shown} is ${width}×${height} pixels; masks of more than 50 megapixels are not checked or sent.`);
  }
  let counts;
  try {
    counts = await countAlpha(png);
  } catch (error) {
    throw damaged(shown, error);
  }
  if (counts.transparent === 0) {
    fail('mask', `The mask ${shown} has no fully transparent pixels, so nothing would change; make the area to edit transparent (alpha 0).`);
  }
  if (counts.covered === 0) {
    fail('mask', `The mask ${shown} is transparent everywhere, so it protects nothing; keep the parts to preserve opaque, or edit without a mask.`);
  }
  return { source: mask.name, fileName: partFileName(mask.name, 'png', 0, 'mask'), bytes, format: 'png', width, height };
}

function damaged(shown: string, error: unknown): ImageApiError {
  if (!(error instanceof PngFormatError)) throw error;
  return new ImageApiError('validation', `The mask ${shown} is a damaged PNG: ${error.message}.`, { param: 'mask' });
}

/**
 * The image a mask applies to must be a PNG like the mask (the API compares the two): a JPEG is decoded
 * and re-encoded as RGBA PNG here; a WebP is refused: every small WebP decoder on npm bundles libwebp
 * 1.1.0 (before the CVE-2023-4863 fix), is LGPL, or is megabytes (README "Editing images" says which).
 */
async function convertForMask(image: EditSourceImage): Promise<EditSourceImage> {
  if (image.format === 'png') return image;
  const shown = shownName(image.source);
  if (image.format === 'webp') {
    fail(
      'images',
      `${shown} is a WebP image, and an edit with a mask needs a PNG: export it as PNG (any image editor can), ` +
        'then edit the PNG, or edit it without a mask.',
    );
  }
  if (image.width * image.height > maxDecodedPixels) {
    fail('images', `${shown} is ${image.width}×${image.height} pixels; a JPEG over 50 megapixels is not converted to PNG for a masked edit.`);
  }
  const bytes = await jpegToPng(image.bytes, shown, maxDecodedPixels);
  if (bytes.length >= maxEditImageBytes) {
    fail('images', `${shown} as PNG (needed for a masked edit) is ${formatBytes(bytes.length)}, over the ${formatBytes(maxEditImageBytes)} limit; make it smaller first.`);
  }
  return { ...image, bytes, format: 'png', fileName: image.fileName.replace(/\.[a-z]+$/, '.png'), converted: true };
}

/**
 * The filename sent for a part: the file's base name in safe ASCII (it goes into a multipart header, and
 * the server needs no more of the user's naming), with the extension of its real format.
 */
export function partFileName(name: string, format: OutputFormat, index: number, fallback = 'image'): string {
  const base = path
    .basename(name, path.extname(name))
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64);
  return `${base || `${fallback}-${index + 1}`}.${extensionFor(format)}`;
}

function formatName(format: OutputFormat): string {
  return format === 'png' ? 'a PNG' : format === 'jpeg' ? 'a JPEG' : 'a WebP';
}
