import { eoi, isFrameMarker, jpegSegments, sos } from './jpegSegments';
import type { OutputFormat } from '../shared/options';

export interface ImageDimensions {
  readonly width: number;
  readonly height: number;
}

/**
 * Width and height from the headers alone (no pixel is decoded): PNG's IHDR, a JPEG's frame header
 * (SOFn), WebP's VP8/VP8L/VP8X chunk. Undefined when the header is missing or cut short. `format` is
 * the sniffed format (see api/sniff.ts), never a guess from the file name.
 */
export function readDimensions(bytes: Uint8Array, format: OutputFormat): ImageDimensions | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 'png':
      return b.length >= 24 ? valid(b.readUInt32BE(16), b.readUInt32BE(20)) : undefined;
    case 'jpeg':
      return jpegDimensions(b);
    case 'webp':
      return webpDimensions(b);
  }
}

function valid(width: number, height: number): ImageDimensions | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** The first SOFn segment before the scan: its height and width (big-endian, after the precision byte). */
function jpegDimensions(b: Buffer): ImageDimensions | undefined {
  for (const segment of jpegSegments(b)) {
    if (segment.marker === sos || segment.marker === eoi) return undefined;
    if (isFrameMarker(segment.marker)) {
      const at = segment.dataStart + 1;
      return segment.end - segment.dataStart >= 5 && at + 4 <= b.length ? valid(b.readUInt16BE(at + 2), b.readUInt16BE(at)) : undefined;
    }
  }
  return undefined;
}

/**
 * VP8 (lossy): 14-bit sizes after the key frame's start code; VP8L (lossless): 14-bit sizes minus one
 * after the 0x2f signature; VP8X (extended): 24-bit canvas sizes minus one.
 */
function webpDimensions(b: Buffer): ImageDimensions | undefined {
  if (b.length < 30) return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return valid(b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return undefined;
    const bits = b.readUInt32LE(21);
    return valid((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    return valid(b.readUIntLE(24, 3) + 1, b.readUIntLE(27, 3) + 1);
  }
  return undefined;
}
