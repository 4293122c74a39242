import * as fs from 'node:fs/promises';
import { sniffImageParts } from './api/sniff';
import { readDimensions, type ImageDimensions } from './imageSize';
import type { OutputFormat } from '../shared/options';

/** Bytes read from each end of the file to sniff it and read a PNG or WebP header. */
export const headBytes = 64 * 1024;
/** JPEG segments walked (by positional reads of their 9-byte headers) before the frame header is given up on. */
export const maxJpegSegments = 1024;

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/**
 * Format and pixel size of an image file from bounded reads (hostile review M1): the first and last
 * {@link headBytes} for the format and PNG/WebP headers, and for a JPEG whose header segments run past
 * the head a walk of its markers with 9-byte positional reads. Never reads the whole file.
 */
export async function fileImageInfo(read: ReadAt, size: number): Promise<{ format: OutputFormat; dimensions: ImageDimensions } | undefined> {
  const head = await read(0, Math.min(size, headBytes));
  const tail = size > headBytes ? await read(Math.max(headBytes, size - headBytes), headBytes) : Buffer.alloc(0);
  const sniffed = sniffImageParts(head, tail.length > 0 ? tail : head, size);
  const format = sniffed === 'whole' ? (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff ? 'jpeg' : undefined) : sniffed;
  if (!format) return undefined;
  const dimensions = readDimensions(head, format) ?? (format === 'jpeg' ? await jpegDimensionsAt(read, size) : undefined);
  return dimensions && { format, dimensions };
}

/** The JPEG frame header found by walking segment headers: 9 bytes read per segment, at most {@link maxJpegSegments}. */
async function jpegDimensionsAt(read: ReadAt, size: number): Promise<ImageDimensions | undefined> {
  let position = 2;
  for (let segment = 0; segment < maxJpegSegments && position + 9 <= size; segment++) {
    const b = await read(position, 9);
    if (b.length < 9 || b[0] !== 0xff) return undefined;
    const marker = b[1];
    if (marker === 0xff) {
      position++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      position += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = b.readUInt16BE(2);
    if (length < 2) return undefined;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      const width = b.readUInt16BE(7);
      const height = b.readUInt16BE(5);
      return length >= 7 && width > 0 && height > 0 ? { width, height } : undefined;
    }
    position += 2 + length;
  }
  return undefined;
}

/** {@link fileImageInfo} of a file on disk, through one file handle. */
export async function readFileImageInfo(filePath: string): Promise<{ format: OutputFormat; dimensions: ImageDimensions } | undefined> {
  const handle = await fs.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    return await fileImageInfo(async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    }, size);
  } finally {
    await handle.close();
  }
}
