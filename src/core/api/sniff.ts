import { eoi, isFrameMarker, jpegSegments, sos } from '../jpegSegments';
import type { OutputFormat } from '../../shared/options';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const pngEnd = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const webpChunks = new Set(['VP8 ', 'VP8L', 'VP8X']);
/** Signature, IHDR (25 bytes) and IEND (12): no PNG is smaller. */
const minPng = 8 + 25 + 12;
/** SOI, a frame header, a scan header and EOI take more than this in any real JPEG. */
const minJpeg = 64;
/** The RIFF header (12), a chunk header (8) and a few bytes of bitstream. */
const minWebp = 26;

/**
 * The image format the bytes are, by their structure, not only their first bytes (issue #9, F6), so
 * a signature followed by an HTML page is no image:
 * - PNG: the signature, an IHDR chunk of 13 bytes with a valid CRC and a non-zero size, and an IEND
 *   chunk at the end (zero bytes after it tolerated: padding some tools add);
 * - JPEG: SOI, then well-formed marker segments with a frame header (SOF) before the first scan
 *   (SOS), and EOI (FF D9) at the end, zero padding after it tolerated;
 * - WebP: RIFF whose size is the file's length − 8 (or one less: an odd pad byte), WEBP and a
 *   VP8/VP8L/VP8X first chunk that fits.
 * Each also has a minimum size. Undefined for anything else: the server's `output_format` echo (or a
 * data URL's media type) says nothing about the bytes.
 */
export function sniffImageFormat(bytes: Uint8Array): OutputFormat | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return sniffView({ length: b.length, at: (i) => b[i] ?? -1, slice: (start, end) => b.subarray(start, end) });
}

/**
 * sniffImageFormat for a file of `length` bytes of which only the first bytes (`head`) and the last ones
 * (`tail`) are at hand — what the streaming decode keeps while it writes an image to disk. The answer is
 * the same as for the whole file; `'whole'` when it would depend on bytes in between (a JPEG whose
 * header segments run past the head, zero padding longer than the tail): then read the whole file.
 */
export function sniffImageParts(head: Buffer, tail: Buffer, length: number): OutputFormat | undefined | 'whole' {
  const tailStart = length - tail.length;
  const at = (i: number): number => {
    if (i < 0 || i >= length) return -1;
    if (i < head.length) return head[i]!;
    if (i >= tailStart) return tail[i - tailStart]!;
    throw new NeedsWhole();
  };
  try {
    return sniffView({ length, at, slice: (start, end) => Buffer.from(Array.from({ length: Math.max(0, Math.min(end, length) - start) }, (_, k) => at(start + k))) });
  } catch (error) {
    if (error instanceof NeedsWhole) return 'whole';
    throw error;
  }
}

/** Bytes by position: `at` is -1 past either end (like reading undefined), `slice` a copy or view. */
interface ByteView {
  readonly length: number;
  at(i: number): number;
  slice(start: number, end: number): Buffer;
}

class NeedsWhole extends Error {}

function sniffView(b: ByteView): OutputFormat | undefined {
  if (b.length >= 8 && b.slice(0, 8).equals(pngSignature)) return isPng(b) ? 'png' : undefined;
  if (b.length >= 3 && b.at(0) === 0xff && b.at(1) === 0xd8 && b.at(2) === 0xff) return isJpeg(b) ? 'jpeg' : undefined;
  if (b.length >= 16 && b.slice(0, 4).toString('latin1') === 'RIFF' && b.slice(8, 12).toString('latin1') === 'WEBP') return isWebp(b) ? 'webp' : undefined;
  return undefined;
}

const u32be = (b: ByteView, i: number): number => b.slice(i, i + 4).readUInt32BE(0);
const u32le = (b: ByteView, i: number): number => b.slice(i, i + 4).readUInt32LE(0);

function isPng(b: ByteView): boolean {
  if (b.length < minPng || u32be(b, 8) !== 13 || b.slice(12, 16).toString('latin1') !== 'IHDR') return false;
  if (crc32(b.slice(12, 29)) !== u32be(b, 29)) return false;
  if (u32be(b, 16) === 0 || u32be(b, 20) === 0) return false;
  const end = withoutZeroPadding(b, pngEnd[pngEnd.length - 1]!);
  return end >= minPng && b.slice(end - pngEnd.length, end).equals(pngEnd);
}

function isJpeg(b: ByteView): boolean {
  if (b.length < minJpeg) return false;
  const end = withoutZeroPadding(b, 0xd9);
  if (end < minJpeg || b.at(end - 2) !== 0xff || b.at(end - 1) !== 0xd9) return false;
  // The header segments, SOI to the first scan: each FF, a marker and a length that fits.
  let frame = false;
  for (const segment of jpegSegments({ length: end, at: (i) => b.at(i) })) {
    if (segment.marker === sos) return frame;
    if (segment.marker === 0xd8 || segment.marker === eoi) return false;
    if (isFrameMarker(segment.marker)) frame = true;
  }
  return false;
}

function isWebp(b: ByteView): boolean {
  if (b.length < minWebp) return false;
  const size = u32le(b, 4);
  if (size !== b.length - 8 && size !== b.length - 9) return false;
  if (!webpChunks.has(b.slice(12, 16).toString('latin1'))) return false;
  return u32le(b, 16) <= b.length - 20;
}

/** The length without trailing zero bytes, unless the last byte before them is `last` already. */
function withoutZeroPadding(b: ByteView, last: number): number {
  let end = b.length;
  if (b.at(end - 1) === last) return end;
  while (end > 0 && b.at(end - 1) === 0) end--;
  return end;
}

const crcTable: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG specifies it (ISO 3309). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8); // index masked to 0–255, the table's length
  return (c ^ 0xffffffff) >>> 0;
}

/** What bytes that are not a PNG, JPEG or WebP look like, for an error message: "an HTML page", "a GIF image"… */
export function describeNonImage(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 0) return 'nothing';
  const latin = b.toString('latin1', 0, 16);
  if (latin.startsWith('GIF8')) return 'a GIF image';
  if (latin.startsWith('BM')) return 'a BMP image';
  if (latin.startsWith('%PDF')) return 'a PDF document';
  if (latin.startsWith('RIFF')) return 'a RIFF file that is not WebP';
  if (latin.startsWith('PK\u0003\u0004')) return 'a ZIP archive';
  if (/^\s*<svg\b/i.test(b.toString('utf8', 0, 256)) || /^\s*<\?xml/i.test(latin)) return 'SVG or XML text';
  const head = b.toString('utf8', 0, Math.min(b.length, 512)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'an HTML page';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON';
  if (isText(b.subarray(0, 512))) return 'text';
  return 'bytes of an unknown kind';
}

/** No control characters but tabs and line breaks: binary data has them within a few bytes. */
function isText(b: Buffer): boolean {
  return !b.some((byte) => (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f);
}
