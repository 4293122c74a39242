import * as assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { sniffImageFormat } from '../../src/core/api/sniff';
import { countAlpha, encodeRgbaPng, forEachPngRow, PngFormatError, readPng } from '../../src/core/png';
import { buildPng, maskPng, pngChunk, signature } from '../fixtures/editImages';

/** A PNG from its parts: a header (width, height, depth, colour type, interlace) and raw IDAT bytes. */
function pngWith(ihdr: readonly number[], idat: Buffer, extra: Buffer[] = []): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(ihdr[0], 0);
  header.writeUInt32BE(ihdr[1], 4);
  header.set([ihdr[2], ihdr[3], 0, 0, ihdr[4] ?? 0], 8);
  return Buffer.concat([signature, pngChunk('IHDR', header), ...extra, pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

async function rejectsPng(promise: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<void> {
  await assert.rejects(async () => (typeof promise === 'function' ? promise() : promise), (error: unknown) => {
    assert.ok(error instanceof PngFormatError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

suite('png: the chunk structure', () => {
  test('reads the header of every legal kind', () => {
    const png = readPng(buildPng({ width: 13, height: 7, colorType: 4, bitDepth: 16, interlaced: true, pixel: () => [1, 2] }));
    assert.deepEqual(png.header, { width: 13, height: 7, bitDepth: 16, colorType: 4, interlaced: true });
  });

  test('refuses what is not a well-formed PNG, saying why', async () => {
    const good = maskPng(8, 8, (x) => x < 4);
    await rejectsPng(() => readPng(Buffer.from('GIF89a not a png')), /signature/);
    // Truncated anywhere: inside a chunk, or before IEND.
    await rejectsPng(() => readPng(good.subarray(0, good.length - 20)), /truncated/);
    await rejectsPng(() => readPng(good.subarray(0, good.length - 12)), /truncated/);
    const flipped = Buffer.from(good);
    flipped[45] ^= 0xff; // inside IDAT's data
    await rejectsPng(() => readPng(flipped), /IDAT chunk fails its checksum/);
    await rejectsPng(() => readPng(pngWith([4, 4, 3, 2], deflateSync(Buffer.alloc(20)))), /bit depth 3 with colour type 2/);
    await rejectsPng(() => readPng(pngWith([0, 4, 8, 6], deflateSync(Buffer.alloc(20)))), /size is zero/);
    await rejectsPng(() => readPng(pngWith([4, 4, 8, 3], deflateSync(Buffer.alloc(20)))), /palette image without a palette/);
    const noIhdr = Buffer.concat([signature, pngChunk('IDAT', Buffer.alloc(2)), pngChunk('IEND', Buffer.alloc(0))]);
    await rejectsPng(() => readPng(noIhdr), /first chunk is not IHDR/);
    const split = pngWith([4, 4, 8, 6], deflateSync(Buffer.alloc(68)), []);
    const twoIdats = Buffer.concat([split.subarray(0, split.length - 12), pngChunk('tEXt', Buffer.from('a\0b')), pngChunk('IDAT', Buffer.alloc(0)), pngChunk('IEND', Buffer.alloc(0))]);
    await rejectsPng(() => readPng(twoIdats), /not consecutive/);
  });
});

suite('png: rows, filters and alpha', () => {
  test('every filter type, 8 and 16 bits, RGBA and grey + alpha, plain and interlaced: exact counts', async () => {
    for (const interlaced of [false, true]) {
      for (const bitDepth of [8, 16] as const) {
        for (const colorType of [4, 6] as const) {
          // 13×11 is no multiple of 8, so some Adam7 passes are narrow or empty; filters cycle 0–4 by row.
          const width = 13;
          const height = 11;
          const max = bitDepth === 8 ? 255 : 65535;
          const transparent = (x: number, y: number): boolean => (x * 7 + y * 3) % 5 === 0;
          const pixel = (x: number, y: number): number[] => {
            const alpha = transparent(x, y) ? 0 : ((x + y) % 3) + 1 === 1 ? max : (x * 40 + y) % max || 1;
            return colorType === 6 ? [x * 9, y * 20, (x * y) % 250, alpha] : [x * 17, alpha];
          };
          const png = readPng(buildPng({ width, height, colorType, bitDepth, interlaced, filter: (y) => y % 5, pixel }));
          let expected = 0;
          for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (transparent(x, y)) expected++;
          const counts = await countAlpha(png);
          const label = `interlaced ${interlaced}, ${bitDepth} bits, colour type ${colorType}`;
          assert.equal(counts.transparent, expected, label);
          assert.equal(counts.covered, width * height - expected, label);
        }
      }
    }
  });

  test('unfiltered rows are the pixels that went in (Paeth, Average, Sub, Up)', async () => {
    const pixel = (x: number, y: number): number[] => [(x * 31 + y) & 0xff, (y * 57) & 0xff, (x ^ y) & 0xff, 255 - x];
    for (const filter of [1, 2, 3, 4]) {
      const rows: number[][] = [];
      await forEachPngRow(readPng(buildPng({ width: 9, height: 6, filter, pixel })), (row) => rows.push([...row]));
      assert.equal(rows.length, 6);
      rows.forEach((row, y) => assert.deepEqual(row.slice(0, 8), [...pixel(0, y), ...pixel(1, y)], `filter ${filter}, row ${y}`));
    }
  });

  test('truncated, trailing, corrupt data and unknown filters are refused', async () => {
    const raw = Buffer.alloc(4 * (4 * 4 + 1));
    await rejectsPng(forEachPngRow(readPng(pngWith([4, 4, 8, 6], deflateSync(raw.subarray(0, 40)))), () => undefined), /ends early/);
    await rejectsPng(forEachPngRow(readPng(pngWith([4, 4, 8, 6], deflateSync(Buffer.concat([raw, Buffer.alloc(9)])))), () => undefined), /more image data/);
    await rejectsPng(forEachPngRow(readPng(pngWith([4, 4, 8, 6], Buffer.from('not zlib at all'))), () => undefined), /corrupt/);
    const badFilter = Buffer.from(raw);
    badFilter[0] = 9;
    await rejectsPng(forEachPngRow(readPng(pngWith([4, 4, 8, 6], deflateSync(badFilter))), () => undefined), /unknown filter type 9/);
    await rejectsPng(countAlpha(readPng(pngWith([4, 4, 8, 2], deflateSync(Buffer.alloc(4 * 13))))), /no alpha channel/);
  });

  test('a bomb header (60000×60000, 1 KB of data) ends early without allocating the image', async () => {
    const bomb = pngWith([60000, 60000, 8, 6], deflateSync(Buffer.alloc(1024)));
    const before = process.memoryUsage().rss;
    await rejectsPng(countAlpha(readPng(bomb)), /ends early/);
    // Two rows of 240 KB, not 14 GB: a loose bound that only a whole-image decode would break.
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024);
  });
});

suite('png: the RGBA writer', () => {
  test('writes a PNG the reader, the sniffer and the fixture builder agree on', async () => {
    const width = 7;
    const height = 5;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37) & 0xff;
    const png = await encodeRgbaPng(rgba, width, height);
    assert.equal(sniffImageFormat(png), 'png');
    const parsed = readPng(png);
    assert.deepEqual(parsed.header, { width, height, bitDepth: 8, colorType: 6, interlaced: false });
    const rows: Buffer[] = [];
    await forEachPngRow(parsed, (row) => rows.push(Buffer.from(row)));
    assert.deepEqual(Buffer.concat(rows), rgba);
    await assert.rejects(encodeRgbaPng(rgba.subarray(1), width, height), RangeError);
  });
});
