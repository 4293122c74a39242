import { crc32 } from '../api/sniff';

/** The PNG signature, 8 bytes. */
export const pngSignature: Buffer = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Signature (8) + IHDR chunk (4 length, 4 type, 13 data, 4 CRC): where our iTXt chunk goes. */
export const afterIhdr = 33;

export interface PngChunk {
  readonly type: string;
  /** Offset of the chunk's length field in the file. */
  readonly offset: number;
  /** Length of the data, as declared (and present: a chunk running past the end is not listed). */
  readonly length: number;
  readonly crcOk: boolean;
}

export interface PngChunkList {
  readonly chunks: readonly PngChunk[];
  /** What was wrong, in words: a chunk running past the end, a missing IEND, bytes after IEND… */
  readonly problems: readonly string[];
}

/**
 * Lists a PNG's chunks without trusting it: a declared length is checked against the bytes that are
 * there (a chunk claiming 100 MB in a 1 KB file ends the walk, nothing is allocated for it), CRCs are
 * checked only for chunks up to `crcLimit` bytes (default 1 MB; image data is not worth the time), and
 * the walk stops at IEND (what follows is reported, never read as chunks) or after `maxChunks`.
 * Undefined when the bytes do not start with the PNG signature.
 */
export function listPngChunks(bytes: Uint8Array, options: { readonly crcLimit?: number; readonly maxChunks?: number } = {}): PngChunkList | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8 || !b.subarray(0, 8).equals(pngSignature)) return undefined;
  const crcLimit = options.crcLimit ?? 1024 * 1024;
  const maxChunks = options.maxChunks ?? 10_000;
  const chunks: PngChunk[] = [];
  const problems: string[] = [];
  let offset = 8;
  let ended = false;
  while (offset < b.length) {
    if (chunks.length >= maxChunks) {
      problems.push(`more than ${maxChunks} chunks; the rest was not read`);
      break;
    }
    if (offset + 12 > b.length) {
      problems.push(`${b.length - offset} stray bytes at the end`);
      break;
    }
    const length = b.readUInt32BE(offset);
    const type = b.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      problems.push(`an invalid chunk type at byte ${offset}`);
      break;
    }
    if (length > 0x7fffffff || offset + 12 + length > b.length) {
      problems.push(`the ${type} chunk at byte ${offset} declares ${length} bytes but the file ends before that`);
      break;
    }
    const crcOk = length > crcLimit || crc32(b.subarray(offset + 4, offset + 8 + length)) === b.readUInt32BE(offset + 8 + length);
    if (!crcOk) problems.push(`the ${type} chunk at byte ${offset} has a wrong CRC`);
    chunks.push({ type, offset, length, crcOk });
    offset += 12 + length;
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!ended) problems.push('no IEND chunk');
  else if (offset < b.length && b.subarray(offset).some((byte) => byte !== 0)) problems.push(`${b.length - offset} bytes after IEND (ignored)`);
  return { chunks, problems };
}

/** The data of a listed chunk. */
export function chunkData(bytes: Uint8Array, chunk: PngChunk): Buffer {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.subarray(chunk.offset + 8, chunk.offset + 8 + chunk.length);
}

/** A complete chunk: length, type, data and CRC over type and data. */
export function encodeChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
