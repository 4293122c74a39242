import { decode } from 'jpeg-js';
import { ImageApiError } from './errors';
import { encodeRgbaPng } from './png';

/**
 * A JPEG's pixels as an RGBA PNG, for a masked edit (the API wants the edited image and its mask in the
 * same format). jpeg-js is a pure-JS decoder (no native code to ship in the .vsix); its resolution and
 * memory limits refuse hostile headers before it allocates. EXIF orientation is not applied: the pixels
 * keep the stored orientation, as the header's dimensions (which the mask is compared with) do.
 */
export async function jpegToPng(bytes: Buffer, shown: string, maxPixels: number): Promise<Buffer> {
  let decoded;
  try {
    decoded = decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1_000_000,
      maxMemoryUsageInMB: 1024,
    });
  } catch (error) {
    throw new ImageApiError('validation', `${shown} could not be decoded as JPEG to convert it to PNG for the masked edit: ${reason(error)}.`, {
      param: 'images',
    });
  }
  return encodeRgbaPng(decoded.data, decoded.width, decoded.height);
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/[\r\n]+/g, ' ').slice(0, 120);
}
