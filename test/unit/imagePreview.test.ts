import * as assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/core/api/sniff';
import { previewImage, previewMaxSide } from '../../src/core/imagePreview';
import { imageDimensions } from '../../src/core/imageSize';
import { decodePng, downscale, encodePng, type RgbaImage } from '../../src/core/png';
import { makePng, tinyJpeg, tinyWebp } from '../fixtures/fakeImageServer';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG of any colour type and depth, rows filtered with `filter`. */
function png(width: number, height: number, colourType: number, depth: number, rows: Buffer[], extra: Buffer[] = [], filter = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = depth;
  header[9] = colourType;
  const raw = Buffer.concat(rows.map((row) => Buffer.concat([Buffer.from([filter]), row])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function pixel(image: RgbaImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return [...image.data.subarray(i, i + 4)];
}

suite('PNG preview (core/png, core/imagePreview)', () => {
  test('decodes RGB with every filter type the fixture encoder and real encoders use', () => {
    const source = makePng(40, 30, (x, y) => [x * 6, y * 8, (x + y) % 256]);
    const image = decodePng(source)!;
    assert.equal(image.width, 40);
    assert.equal(image.height, 30);
    assert.deepEqual(pixel(image, 0, 0), [0, 0, 0, 255]);
    assert.deepEqual(pixel(image, 39, 29), [234, 232, 68, 255]);
  });

  test('round trip: encode then decode gives the same pixels (Paeth rows, RGB and RGBA)', () => {
    const data = new Uint8Array(17 * 9 * 4).map((_, i) => (i * 37) % 256);
    const image = { width: 17, height: 9, data };
    assert.deepEqual(decodePng(encodePng(image))!.data, data);
    const opaque = { width: 5, height: 4, data: new Uint8Array(80).map((_, i) => (i % 4 === 3 ? 255 : i * 3)) };
    const encoded = encodePng(opaque);
    assert.equal(encoded[25], 2, 'all opaque: saved as RGB');
    assert.deepEqual(decodePng(encoded)!.data, opaque.data);
  });

  test('grey, grey+alpha, palette with tRNS and 16-bit RGB are read', () => {
    assert.deepEqual(pixel(decodePng(png(1, 1, 0, 8, [Buffer.from([77])]))!, 0, 0), [77, 77, 77, 255]);
    assert.deepEqual(pixel(decodePng(png(1, 1, 4, 8, [Buffer.from([77, 9])]))!, 0, 0), [77, 77, 77, 9]);
    const palette = chunk('PLTE', Buffer.from([1, 2, 3, 4, 5, 6]));
    const trns = chunk('tRNS', Buffer.from([0]));
    const indexed = decodePng(png(2, 1, 3, 8, [Buffer.from([0, 1])], [palette, trns]))!;
    assert.deepEqual(pixel(indexed, 0, 0), [1, 2, 3, 0]);
    assert.deepEqual(pixel(indexed, 1, 0), [4, 5, 6, 255]);
    assert.deepEqual(pixel(decodePng(png(1, 1, 2, 16, [Buffer.from([200, 1, 100, 2, 50, 3])]))!, 0, 0), [200, 100, 50, 255]);
  });

  test('what the small decoder does not take gives undefined, never a throw', () => {
    const interlaced = png(1, 1, 2, 8, [Buffer.from([1, 2, 3])]);
    interlaced[28] = 1; // IHDR interlace byte (the CRC is now wrong too)
    assert.equal(decodePng(interlaced), undefined);
    assert.equal(decodePng(png(8, 1, 0, 1, [Buffer.from([0xff])])), undefined, '1-bit');
    assert.equal(decodePng(png(1, 1, 2, 8, [Buffer.from([1, 2, 3])], [], 9)), undefined, 'unknown filter');
    assert.equal(decodePng(Buffer.from('not a png at all, but long enough to look')), undefined);
    const header = png(1, 1, 2, 8, [Buffer.from([1, 2, 3])]);
    header.writeUInt32BE(100_000, 16);
    header.writeUInt32BE(100_000, 20);
    assert.equal(decodePng(header), undefined, 'a header claiming 10 G pixels is not believed');
  });

  test('downscale averages what each pixel covers, weighted by alpha', () => {
    const checker = { width: 4, height: 2, data: new Uint8Array(32) };
    for (let p = 0; p < 8; p++) checker.data.set(p % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255], p * 4);
    const half = downscale(checker, 2);
    assert.equal(half.width, 2);
    assert.equal(half.height, 1);
    assert.deepEqual(pixel(half, 0, 0), [128, 128, 128, 255]);
    const edge = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0]) };
    assert.deepEqual(pixel(downscale(edge, 1), 0, 0), [255, 0, 0, 128], 'a transparent neighbour does not darken red');
  });

  test('previewImage: a 1536x1024 PNG comes back as 512x341; a small one unchanged', () => {
    const big = makePng(1536, 1024, (x, y) => [x % 256, y % 256, 90]);
    const preview = previewImage(big, 'png');
    assert.ok(preview.ok);
    assert.equal(preview.width, previewMaxSide);
    assert.equal(preview.height, 341);
    assert.equal(preview.mimeType, 'image/png');
    assert.deepEqual(imageDimensions(preview.bytes, 'png'), { width: 512, height: 341 });
    const small = makePng(64, 64, () => [1, 2, 3]);
    const same = previewImage(small, 'png');
    assert.ok(same.ok && same.bytes.equals(small));
  });

  test('previewImage: small JPEG and WebP are attached as they are; large ones are not, with the reason', () => {
    const jpeg = previewImage(tinyJpeg, 'jpeg');
    assert.ok(jpeg.ok && jpeg.mimeType === 'image/jpeg');
    const webp = previewImage(tinyWebp, 'webp');
    assert.ok(webp.ok && webp.mimeType === 'image/webp');
    const largeJpeg = Buffer.from(tinyJpeg);
    const sof = largeJpeg.indexOf(Buffer.from([0xff, 0xc0]));
    largeJpeg.writeUInt16BE(2000, sof + 5);
    largeJpeg.writeUInt16BE(3000, sof + 7);
    assert.deepEqual(imageDimensions(largeJpeg, 'jpeg'), { width: 3000, height: 2000 });
    const refused = previewImage(largeJpeg, 'jpeg');
    assert.ok(!refused.ok);
    assert.match(refused.reason, /jpeg images larger than 512 px are not downscaled here/);
  });
});
