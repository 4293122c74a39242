import { imageDimensions } from './imageSize';
import { decodePng, downscale, encodePng } from './png';
import type { OutputFormat } from '../shared/options';

/** Longest side of the picture an agent gets to look at: enough to judge it, a fraction of the tokens. */
export const previewMaxSide = 512;

export type ImagePreview =
  | { readonly ok: true; readonly bytes: Buffer; readonly mimeType: string; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly reason: string };

const mimeTypes: Readonly<Record<OutputFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/**
 * The image as an agent may see it, at most {@link previewMaxSide} px on its longer side. We bundle no
 * image library, so what is honest differs by format:
 * - PNG is decoded, box-filtered down and re-encoded here (src/core/png.ts); a PNG the small decoder
 *   does not take (interlaced, 1/2/4-bit) is attached as is when already small enough.
 * - JPEG and WebP are attached unchanged only when already small enough; larger ones are not attached
 *   and the reason says so (decoding them needs a real codec), so the agent opens the file if it must.
 */
export function previewImage(bytes: Uint8Array, format: OutputFormat, maxSide = previewMaxSide): ImagePreview {
  const size = imageDimensions(bytes, format);
  if (!size) return { ok: false, reason: `its ${format} header could not be read` };
  if (Math.max(size.width, size.height) <= maxSide) {
    return { ok: true, bytes: Buffer.from(bytes), mimeType: mimeTypes[format], ...size };
  }
  if (format !== 'png') {
    return { ok: false, reason: `${format} images larger than ${maxSide} px are not downscaled here` };
  }
  const decoded = decodePng(bytes);
  if (!decoded) return { ok: false, reason: `this PNG (${size.width}x${size.height}) could not be downscaled` };
  const small = downscale(decoded, maxSide);
  return { ok: true, bytes: encodePng(small), mimeType: 'image/png', width: small.width, height: small.height };
}
