import { decode as decodeJpeg } from 'jpeg-js';
import { readDimensions } from './imageSize';
import { encodeRgbaPng, forEachPngRow, readPng } from './png';
import type { OutputFormat } from '../shared/options';

/** Longest side of the picture an agent gets to look at: enough to judge it, a fraction of the tokens. */
export const previewMaxSide = 512;
/** Larger images are not decoded for a preview (3840x2160, the API's largest, is 8.3 M). */
export const maxPreviewSourcePixels = 16_777_216;

export type ImagePreview =
  | { readonly ok: true; readonly bytes: Buffer; readonly mimeType: string; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly reason: string };

const mimeTypes: Readonly<Record<OutputFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
const channelsOf: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * The image as an agent may see it, at most {@link previewMaxSide} px on its longer side, as a PNG. We
 * bundle no image library beyond jpeg-js, so what is honest differs by format:
 * - already small enough (any format): attached unchanged;
 * - PNG (grey, RGB, with alpha; 8 or 16 bits; not interlaced, not a palette): rows streamed through
 *   core/png.ts into a box filter, so memory is the small image only, never the decoded big one;
 * - JPEG: decoded by jpeg-js (limits against hostile headers), then the same box filter;
 * - WebP and the PNG kinds above: not attached; the reason says so, and the agent opens the file.
 */
export async function previewImage(bytes: Buffer, format: OutputFormat, maxSide = previewMaxSide): Promise<ImagePreview> {
  const size = readDimensions(bytes, format);
  if (!size) return { ok: false, reason: `its ${format} header could not be read` };
  if (Math.max(size.width, size.height) <= maxSide) {
    return { ok: true, bytes: Buffer.from(bytes), mimeType: mimeTypes[format], ...size };
  }
  if (size.width * size.height > maxPreviewSourcePixels) return { ok: false, reason: `it is too large to downscale here (${size.width}x${size.height})` };
  const box = new BoxFilter(size.width, size.height, maxSide);
  try {
    if (format === 'png') {
      const png = readPng(bytes);
      const { colorType, bitDepth, interlaced } = png.header;
      const channels = channelsOf[colorType];
      if (!channels || bitDepth < 8 || interlaced) {
        return { ok: false, reason: 'palette, interlaced and 1/2/4-bit PNGs are not downscaled here' };
      }
      const step = bitDepth / 8; // 16-bit samples: the high byte
      // Channel k (0 r, 1 g, 2 b, 3 a) → its sample in the row; grey + alpha keeps alpha second.
      const at = (k: number): number => (channels === 2 ? (k === 3 ? 1 : 0) : channels === 1 ? 0 : k);
      let y = 0;
      await forEachPngRow(png, (row, width) => {
        box.addRow(y++, (x, k) => row[(x * channels + at(k)) * step]!, width, channels); // x < width, at(k) < channels
      });
    } else if (format === 'jpeg') {
      const image = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPreviewSourcePixels / 1_000_000, maxMemoryUsageInMB: 512 });
      for (let y = 0; y < image.height; y++) {
        const offset = y * image.width * 4;
        box.addRow(y, (x, k) => image.data[offset + x * 4 + k]!, image.width, 4); // width × height × 4 bytes of RGBA
      }
    } else {
      return { ok: false, reason: 'WebP images larger than 512 px are not downscaled here (no WebP decoder is bundled)' };
    }
  } catch (error) {
    return { ok: false, reason: `it could not be decoded (${error instanceof Error ? error.message.slice(0, 120) : 'error'})` };
  }
  return { ok: true, bytes: await encodeRgbaPng(box.result(), box.width, box.height), mimeType: 'image/png', width: box.width, height: box.height };
}

/**
 * Area-averaging downscale fed one source row at a time: each target pixel averages every source pixel
 * it covers (no aliasing), colours weighted by alpha so transparent pixels don't darken edges. Its `!`
 * reads stay in range: x < sourceWidth (targetX's length), targetX[x] < width, ty < height.
 */
class BoxFilter {
  readonly width: number;
  readonly height: number;
  /** Per target pixel: r·a, g·a, b·a, a, count. */
  private readonly sums: Float64Array;
  private readonly targetX: Uint32Array;

  constructor(
    private readonly sourceWidth: number,
    private readonly sourceHeight: number,
    maxSide: number,
  ) {
    const scale = maxSide / Math.max(sourceWidth, sourceHeight);
    this.width = Math.max(1, Math.round(sourceWidth * scale));
    this.height = Math.max(1, Math.round(sourceHeight * scale));
    this.sums = new Float64Array(this.width * this.height * 5);
    this.targetX = new Uint32Array(sourceWidth);
    for (let x = 0; x < sourceWidth; x++) this.targetX[x] = Math.min(this.width - 1, Math.floor((x * this.width) / sourceWidth));
  }

  /** `sample(x, k)`: channel k (0 r, 1 g, 2 b, 3 a) of source pixel x; grey images give the grey for r, g, b. */
  addRow(y: number, sample: (x: number, k: number) => number, width: number, channels: number): void {
    if (y >= this.sourceHeight) return;
    const ty = Math.min(this.height - 1, Math.floor((y * this.height) / this.sourceHeight));
    const grey = channels < 3;
    const alpha = channels === 2 || channels === 4;
    for (let x = 0; x < Math.min(width, this.sourceWidth); x++) {
      const o = (ty * this.width + this.targetX[x]!) * 5;
      const a = alpha ? sample(x, 3) : 255;
      const r = sample(x, 0);
      this.sums[o]! += r * a;
      this.sums[o + 1]! += (grey ? r : sample(x, 1)) * a;
      this.sums[o + 2]! += (grey ? r : sample(x, 2)) * a;
      this.sums[o + 3]! += a;
      this.sums[o + 4]! += 1;
    }
  }

  result(): Uint8Array {
    const out = new Uint8Array(this.width * this.height * 4);
    for (let p = 0; p < this.width * this.height; p++) {
      const s = p * 5;
      const a = this.sums[s + 3]!;
      if (a === 0) continue; // fully transparent: stays 0, 0, 0, 0
      out[p * 4] = Math.round(this.sums[s]! / a);
      out[p * 4 + 1] = Math.round(this.sums[s + 1]! / a);
      out[p * 4 + 2] = Math.round(this.sums[s + 2]! / a);
      out[p * 4 + 3] = Math.round(a / this.sums[s + 4]!);
    }
    return out;
  }
}
