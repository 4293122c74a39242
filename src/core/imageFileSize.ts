import * as fs from 'node:fs/promises';
import { sniffImageParts } from './api/sniff';
import { readDimensions, type ImageDimensions } from './imageSize';
import { eoi, isFrameMarker, jpegSegmentsAt, sos } from './jpegSegments';
import type { OutputFormat } from '../shared/options';

/** Bytes read from each end of the file to sniff it and read a PNG or WebP header. */
export const headBytes = 64 * 1024;
/** JPEG walk steps (positional reads of 4-byte segment headers) before the frame header is given up on. */
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

/** The JPEG frame header found by walking segment headers: 4 bytes read per step, at most {@link maxJpegSegments} steps. */
async function jpegDimensionsAt(read: ReadAt, size: number): Promise<ImageDimensions | undefined> {
  for await (const segment of jpegSegmentsAt(read, size, maxJpegSegments)) {
    if (segment.marker === sos || segment.marker === eoi) return undefined;
    if (isFrameMarker(segment.marker)) {
      // Precision, then height and width (big-endian).
      const b = segment.end - segment.dataStart >= 5 ? await read(segment.dataStart + 1, 4) : Buffer.alloc(0);
      if (b.length < 4) return undefined;
      const width = b.readUInt16BE(2);
      const height = b.readUInt16BE(0);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
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
