import * as assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { encode as encodeJpeg } from 'jpeg-js';
import { crc32 } from '../../src/core/api/sniff';
import { previewImage, previewMaxSide } from '../../src/core/imagePreview';
import { readDimensions } from '../../src/core/imageSize';
import { encodeRgbaPng, forEachPngRow, readPng } from '../../src/core/png';
import { tinyJpeg, tinyWebp } from '../fixtures/fakeImageServer';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG of colour type and depth given, every row made by `row(y)` (filter 0). */
function png(width: number, height: number, colourType: number, depth: number, row: (y: number) => Buffer, extra: Buffer[] = []): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = depth;
  header[9] = colourType;
  const raw = Buffer.concat(Array.from({ length: height }, (_, y) => Buffer.concat([Buffer.from([0]), row(y)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function pixels(bytes: Buffer): Promise<number[][]> {
  const image = readPng(bytes);
  const rows: number[][] = [];
  await forEachPngRow(image, (row) => rows.push([...row]));
  return rows;
}

suite('agent previews (core/imagePreview)', () => {
  test('a 1536x1024 RGB PNG comes back as a 512x341 PNG with averaged colours', async () => {
    // Vertical stripes one pixel wide, black and white: target pixel 0 covers source pixels 0-2 (black, white, black).
    const big = png(1536, 1024, 2, 8, () => Buffer.from(Array.from({ length: 1536 * 3 }, (_, i) => (Math.floor(i / 3) % 2 ? 255 : 0))));
    const preview = await previewImage(big, 'png');
    assert.ok(preview.ok, JSON.stringify(preview));
    assert.equal(preview.width, previewMaxSide);
    assert.equal(preview.height, 341);
    assert.equal(preview.mimeType, 'image/png');
    assert.deepEqual(readDimensions(preview.bytes, 'png'), { width: 512, height: 341 });
    const [first] = await pixels(preview.bytes);
    assert.deepEqual(first.slice(0, 4), [85, 85, 85, 255], 'stripes average to grey, not alias to black or white');
  });

  test('alpha weights the colours: a transparent neighbour does not darken red', async () => {
    const image = png(1024, 2, 6, 8, () => Buffer.from(Array.from({ length: 1024 }, (_, x) => (x % 2 ? [0, 0, 0, 0] : [255, 0, 0, 255])).flat()));
    const preview = await previewImage(image, 'png');
    assert.ok(preview.ok);
    const [first] = await pixels(preview.bytes);
    assert.deepEqual(first.slice(0, 4), [255, 0, 0, 128]);
  });

  test('16-bit grey is read by its high byte', async () => {
    const image = png(1024, 1, 0, 16, () => Buffer.from(Array.from({ length: 1024 }, () => [200, 7]).flat()));
    const preview = await previewImage(image, 'png');
    assert.ok(preview.ok);
    assert.deepEqual((await pixels(preview.bytes))[0].slice(0, 4), [200, 200, 200, 255]);
  });

  test('small images of any format are attached unchanged', async () => {
    const small = await encodeRgbaPng(new Uint8Array(64 * 64 * 4).fill(200), 64, 64);
    const same = await previewImage(small, 'png');
    assert.ok(same.ok && same.bytes.equals(small));
    const jpeg = await previewImage(tinyJpeg, 'jpeg');
    assert.ok(jpeg.ok && jpeg.mimeType === 'image/jpeg');
    const webp = await previewImage(tinyWebp, 'webp');
    assert.ok(webp.ok && webp.mimeType === 'image/webp');
  });

  test('a large JPEG is decoded (jpeg-js) and downscaled to a PNG', async () => {
    const width = 1200;
    const height = 600;
    const data = Buffer.alloc(width * height * 4, 255);
    for (let i = 0; i < width * height; i++) data.set([30, 120, 220, 255], i * 4);
    const jpeg = encodeJpeg({ data, width, height }, 90).data;
    const preview = await previewImage(jpeg, 'jpeg');
    assert.ok(preview.ok, JSON.stringify(preview));
    assert.equal(preview.width, 512);
    assert.equal(preview.height, 256);
    const [r, g, b] = (await pixels(preview.bytes))[0];
    assert.ok(Math.abs(r - 30) < 8 && Math.abs(g - 120) < 8 && Math.abs(b - 220) < 8, `${r},${g},${b}`);
  });

  test('what is not downscaled says why: large WebP, palette PNG, unreadable header, absurd size', async () => {
    const webp = Buffer.from(tinyWebp);
    webp.writeUIntLE(1999, 24, 3); // a VP8X canvas of 2000 px… only when the fixture is VP8X
    const bigWebp = readDimensions(webp, 'webp')?.width === 2000 ? webp : undefined;
    if (bigWebp) {
      const refused = await previewImage(bigWebp, 'webp');
      assert.ok(!refused.ok && /WebP images larger than 512 px/.test(refused.reason));
    }
    const palette = png(1024, 1, 3, 8, () => Buffer.alloc(1024), [chunk('PLTE', Buffer.from([1, 2, 3]))]);
    const indexed = await previewImage(palette, 'png');
    assert.ok(!indexed.ok && /palette/.test(indexed.reason));
    const junk = await previewImage(Buffer.from('not an image'), 'png');
    assert.ok(!junk.ok && /header could not be read/.test(junk.reason));
    const bomb = png(1, 1, 2, 8, () => Buffer.from([1, 2, 3]));
    bomb.writeUInt32BE(60_000, 16);
    bomb.writeUInt32BE(60_000, 20);
    const huge = await previewImage(bomb, 'png');
    assert.ok(!huge.ok && /too large/.test(huge.reason), 'a header claiming 3.6 G pixels is never decoded');
    const broken = png(2048, 2, 2, 8, () => Buffer.alloc(10)); // rows shorter than the header says
    const short = await previewImage(broken, 'png');
    assert.ok(!short.ok && /could not be decoded/.test(short.reason));
  });
});
