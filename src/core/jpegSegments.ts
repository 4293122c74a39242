/**
 * The one walk over a JPEG's marker segments (imageSize, sniff, imageFileSize and provenance's
 * Content Credentials check all use it). Inputs are untrusted — an image file in a hostile repo — so
 * the walk only moves forward, never reads past `length`, and stops after a bounded number of steps.
 *
 * From offset 2 (after SOI, which the caller has checked): each step is either a fill byte (FF FF:
 * the first FF is skipped), a standalone marker (SOI, TEM, RST0–7, EOI: two bytes, no length) or a
 * segment (FF, marker, big-endian length counting itself). The walk ends after SOS (the scan follows,
 * not segments) or EOI, and stops without yielding on a truncated or malformed header: no FF where a
 * marker must start, a marker byte 00, a length field cut off by the end or below 2. A segment whose
 * length claims bytes past the end is yielded (its `end` is past `length`: check before reading its
 * data) and is the last one.
 */

export interface JpegSegment {
  /** The marker byte after FF (e.g. 0xc0 SOF0, 0xda SOS, 0xeb APP11). */
  readonly marker: number;
  /** Offset of the marker's FF. */
  readonly offset: number;
  /** Offset of the first data byte (after the length field; after the marker for a standalone one). */
  readonly dataStart: number;
  /** Offset just past the segment's data as its length says: may be past the end of a cut-short file. */
  readonly end: number;
}

/** Bytes by offset: undefined (or anything not 0–255) past the end. A Buffer or Uint8Array is one. */
export interface JpegBytes {
  readonly length: number;
  at(index: number): number | undefined;
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadBytesAt = (position: number, length: number) => Promise<Uint8Array>;

export const sos = 0xda;
export const eoi = 0xd9;

/** Steps (markers and fill bytes) an in-memory walk takes at most; real headers have a few dozen. */
export const maxJpegSteps = 65_536;

/** A frame header (SOF0–15 but DHT C4, JPG C8, DAC CC): its data holds precision, height, width. */
export function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers with no length field: TEM, RST0–7, SOI, EOI. */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

type Step = { readonly next: number; readonly segment?: JpegSegment } | undefined;

/** One step of the walk at `offset`; `byte(i)` is read only for offset ≤ i < offset + 4. */
function stepAt(byte: (i: number) => number | undefined, offset: number, length: number): Step {
  const valid = (i: number): number | undefined => {
    const value = i < length ? byte(i) : undefined;
    return value !== undefined && Number.isInteger(value) && value >= 0 && value <= 0xff ? value : undefined;
  };
  if (valid(offset) !== 0xff) return undefined;
  const marker = valid(offset + 1);
  if (marker === undefined || marker === 0x00) return undefined;
  if (marker === 0xff) return { next: offset + 1 };
  if (isStandalone(marker)) return { next: offset + 2, segment: { marker, offset, dataStart: offset + 2, end: offset + 2 } };
  const high = valid(offset + 2);
  const low = valid(offset + 3);
  if (high === undefined || low === undefined) return undefined;
  const size = (high << 8) | low;
  if (size < 2) return undefined;
  return { next: offset + 2 + size, segment: { marker, offset, dataStart: offset + 4, end: offset + 2 + size } };
}

/** Whether the walk ends after `segment`: the scan starts, the image ends, or the segment runs past the end. */
function isLast(segment: JpegSegment, length: number): boolean {
  return segment.marker === sos || segment.marker === eoi || segment.end > length;
}

/** The marker segments of in-memory JPEG bytes, SOI excluded, up to and including SOS (or EOI). */
export function* jpegSegments(bytes: JpegBytes, maxSteps: number = maxJpegSteps): Generator<JpegSegment, void, undefined> {
  const byte = (i: number): number | undefined => bytes.at(i);
  for (let offset = 2, steps = 0; steps < maxSteps; steps++) {
    const step = stepAt(byte, offset, bytes.length);
    if (!step) return;
    if (step.segment) {
      yield step.segment;
      if (isLast(step.segment, bytes.length)) return;
    }
    offset = step.next;
  }
}

/** {@link jpegSegments} of a file of `size` bytes through positional reads: 4 bytes a step, at most `maxSteps` steps. */
export async function* jpegSegmentsAt(read: ReadBytesAt, size: number, maxSteps: number): AsyncGenerator<JpegSegment, void, undefined> {
  for (let offset = 2, steps = 0; steps < maxSteps && offset < size; steps++) {
    const header = await read(offset, 4);
    const step = stepAt((i) => header[i - offset], offset, size);
    if (!step) return;
    if (step.segment) {
      yield step.segment;
      if (isLast(step.segment, size)) return;
    }
    offset = step.next;
  }
}
