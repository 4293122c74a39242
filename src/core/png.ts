import { promisify } from 'node:util';
import { createInflate, deflate } from 'node:zlib';
import { crc32 } from './api/sniff';
import { encodeChunk } from './provenance/pngChunks';

/**
 * A small PNG reader and writer, enough for edit masks (issue #13): the chunk structure with CRCs, the
 * header, and the pixel rows streamed through inflate and unfiltered one at a time (interlaced images
 * too), so checking a mask's alpha never holds the whole decoded image. Hand-written rather than
 * pngjs or fast-png: both decode the whole image into memory first, which is what a "PNG bomb" (a 4 MB
 * file claiming 60000×60000 pixels) exploits, and we need only rows and alpha, plus a plain RGBA writer.
 */

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  readonly colorType: number;
  readonly interlaced: boolean;
}

export interface PngImage {
  readonly header: PngHeader;
  /** The IDAT chunks' data, concatenated: one zlib stream. */
  readonly data: Buffer;
}

/** Thrown for a file that is not a well-formed PNG; the message says what is wrong, for "mask.png is damaged: …". */
export class PngFormatError extends Error {
  override readonly name = 'PngFormatError';
}

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const channelCounts: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const depthsOf: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Samples per pixel of a colour type; parseHeader admits no other types, so this throws only for a hand-made header. */
function channelsOf(colorType: number): number {
  const channels = channelCounts[colorType];
  if (channels === undefined) throw new PngFormatError(`colour type ${colorType} is not valid PNG`);
  return channels;
}

/** Whether pixels carry their own alpha (grey + alpha, RGBA); palette or colour-key transparency does not count. */
export function hasAlphaChannel(header: PngHeader): boolean {
  return header.colorType === 4 || header.colorType === 6;
}

/**
 * Parses the chunk structure: signature, IHDR first with legal values, every chunk's length and CRC,
 * consecutive IDAT chunks, PLTE for palette images, IEND last. Pixels are not decoded here.
 */
export function readPng(bytes: Uint8Array): PngImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8 || !b.subarray(0, 8).equals(signature)) throw new PngFormatError('it does not start with the PNG signature');
  let header: PngHeader | undefined;
  const data: Buffer[] = [];
  let idatDone = false;
  let palette = false;
  for (let offset = 8; ; ) {
    if (offset + 12 > b.length) throw new PngFormatError('it ends before its IEND chunk (the file is truncated)');
    const length = b.readUInt32BE(offset);
    const type = b.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngFormatError(`it has a chunk with an invalid type at byte ${offset}`);
    if (length > 0x7fffffff || offset + 12 + length > b.length) throw new PngFormatError(`its ${type} chunk runs past the end of the file (truncated)`);
    const body = b.subarray(offset + 8, offset + 8 + length);
    if (crc32(b.subarray(offset + 4, offset + 8 + length)) !== b.readUInt32BE(offset + 8 + length)) {
      throw new PngFormatError(`its ${type} chunk fails its checksum`);
    }
    if (header === undefined && type !== 'IHDR') throw new PngFormatError('its first chunk is not IHDR');
    if (type === 'IHDR') {
      if (header !== undefined) throw new PngFormatError('it has two IHDR chunks');
      header = parseHeader(body);
    } else if (type === 'PLTE') {
      palette = true;
    } else if (type === 'IDAT') {
      if (idatDone) throw new PngFormatError('its IDAT chunks are not consecutive');
      data.push(body);
    } else if (data.length > 0) {
      idatDone = true;
    }
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  if (header === undefined) throw new PngFormatError('it has no IHDR chunk');
  if (data.length === 0) throw new PngFormatError('it has no image data (IDAT)');
  if (header.colorType === 3 && !palette) throw new PngFormatError('it is a palette image without a palette');
  return { header, data: Buffer.concat(data) };
}

function parseHeader(body: Buffer): PngHeader {
  if (body.length !== 13) throw new PngFormatError('its IHDR chunk has the wrong length');
  const width = body.readUInt32BE(0);
  const height = body.readUInt32BE(4);
  const [bitDepth = 0, colorType = 0, compression = 0, filter = 0, interlace = 0] = body.subarray(8, 13); // 13 bytes checked above
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw new PngFormatError('its size is zero or invalid');
  if (!depthsOf[colorType]?.includes(bitDepth)) throw new PngFormatError(`bit depth ${bitDepth} with colour type ${colorType} is not valid PNG`);
  if (compression !== 0 || filter !== 0 || interlace > 1) throw new PngFormatError('its IHDR names an unknown compression, filter or interlace method');
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/** Adam7: start column, start row, column step, row step of each pass. */
const adam7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Pass {
  readonly width: number;
  readonly height: number;
}

function passesOf(header: PngHeader): Pass[] {
  if (!header.interlaced) return [{ width: header.width, height: header.height }];
  return adam7
    .map(([x0, y0, dx, dy]) => ({
      width: header.width > x0 ? Math.ceil((header.width - x0) / dx) : 0,
      height: header.height > y0 ? Math.ceil((header.height - y0) / dy) : 0,
    }))
    .filter((pass) => pass.width > 0 && pass.height > 0);
}

/**
 * Streams the image's rows, unfiltered, to `onRow` (`row` holds `width` pixels of the pass; it is reused
 * for the next row). Memory stays at two rows whatever the size. Rejects with PngFormatError when the
 * zlib data is corrupt, shorter than the header promises (truncated) or longer (trailing data).
 */
export async function forEachPngRow(png: PngImage, onRow: (row: Buffer, width: number) => void): Promise<void> {
  const { header } = png;
  const bitsPerPixel = channelsOf(header.colorType) * header.bitDepth;
  const bpp = Math.max(1, bitsPerPixel / 8);
  const passes = passesOf(header);
  let passIndex = 0;
  const first = passes[0]!; // Adam7's first pass starts at (0, 0), so every image has one
  let rowBytes = Math.ceil((first.width * bitsPerPixel) / 8);
  let current = Buffer.alloc(rowBytes + 1);
  let previous = Buffer.alloc(rowBytes + 1);
  let filled = 0;
  let rowsLeft = first.height;

  const inflater = createInflate({ chunkSize: 64 * 1024 });
  inflater.end(png.data);
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length; ) {
        const pass = passes[passIndex];
        if (pass === undefined) throw new PngFormatError('it holds more image data than its size');
        const take = Math.min(chunk.length - at, current.length - filled);
        chunk.copy(current, filled, at, at + take);
        filled += take;
        at += take;
        if (filled < current.length) continue;
        unfilter(current, previous, bpp);
        onRow(current.subarray(1), pass.width);
        [current, previous] = [previous, current];
        filled = 0;
        const next = --rowsLeft === 0 ? passes[++passIndex] : undefined;
        if (next !== undefined) {
          rowBytes = Math.ceil((next.width * bitsPerPixel) / 8);
          current = Buffer.alloc(rowBytes + 1);
          previous = Buffer.alloc(rowBytes + 1); // each pass starts from a row of zeros
          rowsLeft = next.height;
        }
      }
    }
  } catch (error) {
    inflater.destroy();
    if (error instanceof PngFormatError) throw error;
    throw new PngFormatError(`its compressed image data is corrupt (${(error as Error).message})`);
  }
  if (passIndex < passes.length) throw new PngFormatError('its image data ends early (the file is truncated)');
}

/**
 * Undoes one row's filter in place; `row[0]` is the filter type, `prior` the previous unfiltered row (of
 * the same length: every `!` below reads an index in 0 … row.length − 1).
 */
function unfilter(row: Buffer, prior: Buffer, bpp: number): void {
  const type = row[0];
  const n = row.length;
  switch (type) {
    case 0:
      return;
    case 1:
      for (let i = 1 + bpp; i < n; i++) row[i] = (row[i]! + row[i - bpp]!) & 0xff;
      return;
    case 2:
      for (let i = 1; i < n; i++) row[i] = (row[i]! + prior[i]!) & 0xff;
      return;
    case 3:
      for (let i = 1; i < n; i++) row[i] = (row[i]! + ((i > bpp ? row[i - bpp]! : 0) + prior[i]!) / 2) & 0xff;
      return;
    case 4:
      for (let i = 1; i < n; i++) {
        const a = i > bpp ? row[i - bpp]! : 0;
        const c = i > bpp ? prior[i - bpp]! : 0;
        row[i] = (row[i]! + paeth(a, prior[i]!, c)) & 0xff;
      }
      return;
    default:
      throw new PngFormatError(`a row uses the unknown filter type ${type}`);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export interface AlphaCounts {
  /** Pixels with alpha 0: the area an edit may change. */
  readonly transparent: number;
  /** Pixels with any other alpha. */
  readonly covered: number;
}

/** Counts fully transparent and other pixels of a grey + alpha or RGBA PNG (8 or 16 bits). */
export async function countAlpha(png: PngImage): Promise<AlphaCounts> {
  if (!hasAlphaChannel(png.header)) throw new PngFormatError('it has no alpha channel');
  const bytesPerSample = png.header.bitDepth / 8;
  const stride = channelsOf(png.header.colorType) * bytesPerSample;
  const alphaAt = stride - bytesPerSample;
  let transparent = 0;
  let total = 0;
  await forEachPngRow(png, (row, width) => {
    for (let x = 0, i = alphaAt; x < width; x++, i += stride) {
      if (row[i] === 0 && (bytesPerSample === 1 || row[i + 1] === 0)) transparent++;
    }
    total += width;
  });
  return { transparent, covered: total - transparent };
}

const deflateAsync = promisify(deflate);

/**
 * An 8-bit RGBA PNG of `rgba` (width × height × 4 bytes, rows top to bottom). Rows use the Paeth filter,
 * which suits photographs (a converted JPEG); compression runs off the extension host's thread.
 */
export async function encodeRgbaPng(rgba: Uint8Array, width: number, height: number): Promise<Buffer> {
  const stride = width * 4;
  if (rgba.length !== stride * height) throw new RangeError(`Expected ${stride * height} bytes of RGBA, got ${rgba.length}`);
  const raw = Buffer.alloc((stride + 1) * height);
  // Every index below is line + i (− stride, − 4 when y, i allow it) with i < stride, y < height: inside rgba.
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1);
    const line = y * stride;
    raw[out] = 4;
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? rgba[line + i - 4]! : 0;
      const b = y > 0 ? rgba[line - stride + i]! : 0;
      const c = i >= 4 && y > 0 ? rgba[line - stride + i - 4]! : 0;
      raw[out + 1 + i] = (rgba[line + i]! - paeth(a, b, c)) & 0xff;
    }
  }
  return assemblePng({ width, height, colorType: 6 }, await deflateAsync(raw, { level: 6 }));
}

/**
 * A complete PNG file from its header fields and compressed (zlib) image data: signature, IHDR, one
 * IDAT, IEND, every CRC computed. The one PNG writer of the project (the test fixtures use it too).
 */
export function assemblePng(
  header: { readonly width: number; readonly height: number; readonly colorType: 0 | 2 | 3 | 4 | 6; readonly bitDepth?: number; readonly interlaced?: boolean },
  idat: Uint8Array,
  /** Chunks to put between IHDR and IDAT (already encoded with {@link encodeChunk}). */
  extra: readonly Uint8Array[] = [],
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr.set([header.bitDepth ?? 8, header.colorType, 0, 0, header.interlaced ? 1 : 0], 8);
  return Buffer.concat([signature, encodeChunk('IHDR', ihdr), ...extra, encodeChunk('IDAT', idat), encodeChunk('IEND', Buffer.alloc(0))]);
}

export { encodeChunk };
