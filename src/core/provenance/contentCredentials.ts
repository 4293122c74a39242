import { eoi, jpegSegments, sos } from '../jpegSegments';
import { listPngChunks } from './pngChunks';

/**
 * Where a file carries a C2PA manifest (Content Credentials), by its container: gpt-image output is
 * signed this way, and adding a chunk to a signed file breaks the signature, so such a file is never
 * altered (issue #15 §4). This only says the manifest is *present*: nothing here checks the signature,
 * and nothing shown to users may say "verified".
 */
export type ContentCredentialsBox = 'PNG caBX chunk' | 'JPEG APP11 JUMBF segment' | 'WebP C2PA chunk';

/** The box holding a C2PA manifest, or undefined when there is none (or the bytes are no PNG/JPEG/WebP). */
export function findContentCredentials(bytes: Uint8Array): ContentCredentialsBox | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && b[0] === 0x89 && b.toString('latin1', 1, 4) === 'PNG') {
    return listPngChunks(b, { crcLimit: 0 })?.chunks.some((chunk) => chunk.type === 'caBX') ? 'PNG caBX chunk' : undefined;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegHasJumbf(b) ? 'JPEG APP11 JUMBF segment' : undefined;
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    return webpHasC2pa(b) ? 'WebP C2PA chunk' : undefined;
  }
  return undefined;
}

/**
 * JPEG marker segments from SOI to the first scan: an APP11 (FF EB) segment holding a JUMBF box
 * (ISO 19566-5: common identifier "JP", box instance, sequence number, then a `jumb` superbox) is how
 * C2PA embeds its manifest store. Segments after the scan start are not metadata.
 */
function jpegHasJumbf(b: Buffer): boolean {
  for (const segment of jpegSegments(b)) {
    if (segment.marker === sos || segment.marker === eoi || segment.end > b.length) return false;
    if (segment.marker === 0xeb) {
      const data = b.subarray(segment.dataStart, segment.end);
      if (data.length >= 16 && data.toString('latin1', 0, 2) === 'JP' && data.toString('latin1', 12, 16) === 'jumb') return true;
    }
  }
  return false;
}

/** RIFF chunks after the WEBP form type: fourCC, little-endian size, data padded to an even length. */
function webpHasC2pa(b: Buffer): boolean {
  for (let i = 12, seen = 0; i + 8 <= b.length && seen < 10_000; seen++) {
    const fourCc = b.toString('latin1', i, i + 4);
    const size = b.readUInt32LE(i + 4);
    if (fourCc === 'C2PA') return true;
    i += 8 + size + (size & 1);
  }
  return false;
}
