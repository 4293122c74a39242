import * as assert from 'node:assert/strict';
import { jpegSegments, jpegSegmentsAt, type JpegSegment } from '../../src/core/jpegSegments';
import { readDimensions } from '../../src/core/imageSize';
import { findContentCredentials } from '../../src/core/provenance/contentCredentials';
import { photoJpeg } from '../fixtures/editImages';

const soi = [0xff, 0xd8];
/** A segment: FF, marker, big-endian length (itself + data), data. */
const seg = (marker: number, data: number[]): number[] => [0xff, marker, ((data.length + 2) >> 8) & 0xff, (data.length + 2) & 0xff, ...data];
const sof0 = seg(0xc0, [8, 0, 24, 0, 40, 3]);
const markers = (segments: Iterable<JpegSegment>): number[] => Array.from(segments, (s) => s.marker);

async function walkAt(bytes: Buffer, maxSteps = 1024): Promise<{ segments: JpegSegment[]; reads: Array<[number, number]> }> {
  const reads: Array<[number, number]> = [];
  const segments: JpegSegment[] = [];
  const read = async (position: number, length: number): Promise<Buffer> => {
    reads.push([position, length]);
    return bytes.subarray(position, position + length);
  };
  for await (const segment of jpegSegmentsAt(read, bytes.length, maxSteps)) segments.push(segment);
  return { segments, reads };
}

suite('jpegSegments: one bounded walk over untrusted JPEG markers', () => {
  test('segments with offsets and ends, standalone RST/TEM/SOI, stops after SOS', () => {
    const bytes = Buffer.from([...soi, ...seg(0xe0, [1, 2, 3]), 0xff, 0xd0, 0xff, 0x01, 0xff, 0xd8, ...sof0, ...seg(0xda, [0]), ...seg(0xe1, [9])]);
    const segments = [...jpegSegments(bytes)];
    assert.deepEqual(markers(segments), [0xe0, 0xd0, 0x01, 0xd8, 0xc0, 0xda], 'nothing after SOS');
    assert.deepEqual(segments[0], { marker: 0xe0, offset: 2, dataStart: 6, end: 9 });
    assert.deepEqual(segments[1], { marker: 0xd0, offset: 9, dataStart: 11, end: 11 });
    assert.equal(segments[4]!.offset, 15);
  });

  test('fill bytes (runs of FF) before a marker are skipped', () => {
    const bytes = Buffer.from([...soi, 0xff, 0xff, 0xff, ...sof0, 0xff, 0xff, 0xff, 0xd9]);
    const segments = [...jpegSegments(bytes)];
    assert.deepEqual(markers(segments), [0xc0, 0xd9]);
    assert.equal(segments[0]!.offset, 5, 'the FF right before the marker');
    assert.deepEqual(readDimensions(bytes, 'jpeg'), { width: 40, height: 24 });
  });

  test('a length field cut off by the end: nothing yielded, no read past the end', async () => {
    for (const bytes of [Buffer.from([...soi, 0xff, 0xe0, 0x00]), Buffer.from([...soi, 0xff, 0xe0]), Buffer.from([...soi, 0xff])]) {
      assert.deepEqual([...jpegSegments(bytes)], []);
      const { segments, reads } = await walkAt(bytes);
      assert.deepEqual(segments, []);
      assert.ok(reads.every(([position]) => position < bytes.length), `reads ${JSON.stringify(reads)} within ${bytes.length} bytes`);
    }
  });

  test('a length below 2 stops the walk (a zero length would otherwise never advance)', async () => {
    for (const length of [0, 1]) {
      const bytes = Buffer.from([...soi, 0xff, 0xe0, 0x00, length, ...sof0]);
      assert.deepEqual([...jpegSegments(bytes)], [], `length ${length}`);
      assert.deepEqual((await walkAt(bytes)).segments, []);
      assert.equal(readDimensions(bytes, 'jpeg'), undefined);
    }
  });

  test('a segment claiming bytes past the end is the last one yielded; its data is not read', async () => {
    const bytes = Buffer.from([...soi, 0xff, 0xeb, 0xff, 0xf0, 0x4a, 0x50, ...sof0]);
    const segments = [...jpegSegments(bytes)];
    assert.deepEqual(segments, [{ marker: 0xeb, offset: 2, dataStart: 6, end: 2 + 2 + 0xfff0 }]);
    assert.ok(segments[0]!.end > bytes.length);
    assert.deepEqual((await walkAt(bytes)).segments, segments);
    assert.equal(findContentCredentials(bytes), undefined);
    assert.equal(readDimensions(bytes, 'jpeg'), undefined, 'the SOF inside the claimed bytes is not a segment');
  });

  test('no FF where a marker starts, or a marker byte 00: stops', () => {
    assert.deepEqual([...jpegSegments(Buffer.from([...soi, 0x12, 0xc0, ...sof0]))], []);
    assert.deepEqual(markers(jpegSegments(Buffer.from([...soi, ...seg(0xe0, [1]), 0xff, 0x00, ...sof0]))), [0xe0]);
  });

  test('bounded: a file of nothing but fill bytes or RST markers ends after maxSteps', async () => {
    const rst = Buffer.from([...soi, ...Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? 0xff : 0xd0))]);
    assert.equal([...jpegSegments(rst, 100)].length, 100);
    assert.equal([...jpegSegments(rst)].length, 2000, 'without a bound argument the end of the bytes ends it');
    const fill = Buffer.from([...soi, ...new Array<number>(100_000).fill(0xff)]);
    assert.deepEqual([...jpegSegments(fill)], []);
    const { segments, reads } = await walkAt(fill, 1024);
    assert.deepEqual(segments, []);
    assert.equal(reads.length, 1024, 'one 4-byte read a step, maxSteps of them');
    assert.ok(reads.every(([, length]) => length === 4));
  });

  test('bytes past the end read as absent whatever the view returns (a sniff view gives -1)', () => {
    const bytes = [...soi, ...sof0, 0xff, 0xda];
    const view = { length: bytes.length, at: (i: number): number => bytes[i] ?? -1 };
    assert.deepEqual(markers(jpegSegments(view)), [0xc0], 'SOS without its length is not yielded');
  });

  test('a real encoder\'s JPEG: in-memory and positional walks agree and reach SOS', async () => {
    const jpeg = Buffer.from(photoJpeg(40, 24));
    const segments = [...jpegSegments(jpeg)];
    assert.equal(segments.at(-1)!.marker, 0xda);
    assert.ok(segments.some((s) => s.marker === 0xc0 || s.marker === 0xc2));
    assert.deepEqual((await walkAt(jpeg)).segments, segments);
  });
});
