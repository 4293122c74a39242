import * as fs from 'node:fs/promises';
import { crc32 } from '../api/sniff';
import { findContentCredentials, type ContentCredentialsBox } from './contentCredentials';
import { pngSignature } from './pngChunks';
import { decodeTextChunk, maxProvenanceBytes, parseProvenance, provenanceKeyword, type ImageProvenance } from './promptChunk';

export interface ImageFileInfo {
  readonly format: 'png' | 'jpeg' | 'webp' | 'other';
  readonly byteLength: number;
  readonly width?: number;
  readonly height?: number;
  /** Where a C2PA manifest sits, when one is present (never checked: "present", not "verified"). */
  readonly contentCredentials?: ContentCredentialsBox;
  /** Our iTXt record, when the file has a well-formed one. */
  readonly provenance?: ImageProvenance;
  /** What was odd about the file, in words (bad CRC, chunk past the end, bytes after IEND…). */
  readonly problems: readonly string[];
}

/** JPEG metadata segments come before the scan; this much of the file holds them in any real image. */
const jpegHead = 4 * 1024 * 1024;
const maxChunks = 100_000;

/**
 * Reads what Show Image Info shows from a file of any size without reading it whole: PNG and WebP
 * chunk headers are walked with positional reads (image data is skipped, a declared length past the
 * end stops the walk), only text chunks up to {@link maxProvenanceBytes} are read (and their CRC
 * checked), and of a JPEG only the first 4 MB. A 1 GB file or a chunk claiming 100 MB costs nothing.
 */
export async function readImageFileInfo(file: string): Promise<ImageFileInfo> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (offset: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      if (buffer.length > 0) await handle.read(buffer, 0, buffer.length, offset);
      return buffer;
    };
    const head = await read(0, 64);
    if (head.length >= 8 && head.subarray(0, 8).equals(pngSignature)) return await pngInfo(read, size);
    if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
      const box = findContentCredentials(await read(0, jpegHead));
      return { format: 'jpeg', byteLength: size, ...(box && { contentCredentials: box }), problems: [] };
    }
    if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
      return await webpInfo(read, size);
    }
    return { format: 'other', byteLength: size, problems: [] };
  } finally {
    await handle.close();
  }
}

type Reader = (offset: number, length: number) => Promise<Buffer>;

async function pngInfo(read: Reader, size: number): Promise<ImageFileInfo> {
  const problems: string[] = [];
  let width: number | undefined;
  let height: number | undefined;
  let contentCredentials: ContentCredentialsBox | undefined;
  let provenance: ImageProvenance | undefined;
  let offset = 8;
  let ended = false;
  for (let count = 0; offset < size && count < maxChunks; count++) {
    const header = await read(offset, 8);
    if (header.length < 8) {
      problems.push(`${size - offset} stray bytes at the end`);
      break;
    }
    const length = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      problems.push(`an invalid chunk type at byte ${offset}`);
      break;
    }
    if (length > 0x7fffffff || offset + 12 + length > size) {
      problems.push(`the ${type} chunk at byte ${offset} declares ${length} bytes but the file ends before that`);
      break;
    }
    if (type === 'caBX') contentCredentials = 'PNG caBX chunk';
    const isText = type === 'iTXt' || type === 'tEXt' || type === 'zTXt';
    if (type === 'IHDR' || (isText && length <= maxProvenanceBytes)) {
      const body = await read(offset + 4, length + 8); // type, data, CRC
      const data = body.subarray(4, 4 + length);
      if (crc32(body.subarray(0, 4 + length)) !== body.readUInt32BE(4 + length)) {
        problems.push(`the ${type} chunk at byte ${offset} has a wrong CRC`);
      } else if (type === 'IHDR' && length === 13) {
        width = data.readUInt32BE(0);
        height = data.readUInt32BE(4);
      } else if (isText && provenance === undefined) {
        const entry = decodeTextChunk(type, data);
        if (entry?.keyword === provenanceKeyword) {
          provenance = parseProvenance(entry.text);
          if (!provenance) problems.push(`the ${provenanceKeyword} text chunk is not a record this version can read`);
        }
      }
    } else if (isText) {
      problems.push(`a ${length}-byte ${type} chunk was not read (over ${maxProvenanceBytes} bytes)`);
    }
    offset += 12 + length;
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!ended && !problems.length) problems.push('no IEND chunk');
  if (ended && offset < size) problems.push(`${size - offset} bytes after IEND (ignored)`);
  return {
    format: 'png',
    byteLength: size,
    ...(width !== undefined && { width, height }),
    ...(contentCredentials && { contentCredentials }),
    ...(provenance && { provenance }),
    problems,
  };
}

async function webpInfo(read: Reader, size: number): Promise<ImageFileInfo> {
  let contentCredentials: ContentCredentialsBox | undefined;
  for (let offset = 12, count = 0; offset + 8 <= size && count < maxChunks; count++) {
    const header = await read(offset, 8);
    if (header.toString('latin1', 0, 4) === 'C2PA') {
      contentCredentials = 'WebP C2PA chunk';
      break;
    }
    const length = header.readUInt32LE(4);
    offset += 8 + length + (length & 1);
  }
  return { format: 'webp', byteLength: size, ...(contentCredentials && { contentCredentials }), problems: [] };
}
