import type { OutputFormat } from '../../shared/options';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const webpChunks = new Set(['VP8 ', 'VP8L', 'VP8X']);

/**
 * The image format the bytes are, by their magic numbers: PNG's 8-byte signature, JPEG's SOI and a
 * marker (FF D8 FF), WebP's RIFF container with a VP8/VP8L/VP8X first chunk. Undefined for anything
 * else: the server's `output_format` echo (or a data URL's media type) says nothing about the bytes.
 */
export function sniffImageFormat(bytes: Uint8Array): OutputFormat | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && b.subarray(0, 8).equals(pngSignature)) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 16 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' && webpChunks.has(b.toString('latin1', 12, 16))) {
    return 'webp';
  }
  return undefined;
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
