import * as assert from 'node:assert/strict';
import { readDimensions } from '../../src/core/imageSize';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileImageInfo, headBytes, readFileImageInfo } from '../../src/core/imageFileSize';
import { headerWebp, photoJpeg, photoPng } from '../fixtures/editImages';
import { tinyJpeg, tinyWebp } from '../fixtures/fakeImageServer';

suite('imageSize: dimensions from headers', () => {
  test('PNG IHDR, JPEG SOF0, WebP VP8L and VP8X', () => {
    assert.deepEqual(readDimensions(photoPng(64, 48), 'png'), { width: 64, height: 48 });
    assert.deepEqual(readDimensions(photoJpeg(40, 24), 'jpeg'), { width: 40, height: 24 });
    assert.deepEqual(readDimensions(tinyJpeg, 'jpeg'), { width: 1, height: 1 });
    assert.deepEqual(readDimensions(tinyWebp, 'webp'), { width: 1, height: 1 });
    assert.deepEqual(readDimensions(headerWebp(3000, 2000), 'webp'), { width: 3000, height: 2000 });
  });

  test('a lossy VP8 key frame header', () => {
    const vp8 = Buffer.alloc(30);
    vp8.write('RIFF', 0, 'latin1');
    vp8.write('WEBPVP8 ', 8, 'latin1');
    vp8.set([0x9d, 0x01, 0x2a], 23);
    vp8.writeUInt16LE(640, 26);
    vp8.writeUInt16LE(480 | 0x4000, 28); // the top two bits are the scale, not the size
    assert.deepEqual(readDimensions(vp8, 'webp'), { width: 640, height: 480 });
  });

  test('cut or damaged headers give undefined, never a throw', () => {
    const jpeg = photoJpeg(8, 8);
    for (let cut = 0; cut < 200; cut += 7) assert.doesNotThrow(() => readDimensions(jpeg.subarray(0, cut), 'jpeg'));
    assert.equal(readDimensions(jpeg.subarray(0, 20), 'jpeg'), undefined);
    assert.equal(readDimensions(photoPng(4, 4).subarray(0, 20), 'png'), undefined);
    assert.equal(readDimensions(tinyWebp.subarray(0, 20), 'webp'), undefined);
  });
});

suite('imageFileSize: dimensions from bounded reads (hostile review M1)', () => {
  const counting = (bytes: Buffer) => {
    const reads = { bytes: 0 };
    const read = async (position: number, length: number) => {
      const part = bytes.subarray(position, position + length);
      reads.bytes += part.length;
      return Buffer.from(part);
    };
    return { read, reads };
  };
  test('a 20 MB PNG is described from its head and tail, not read whole', async () => {
    const png = photoPng(64, 48);
    // An ancillary chunk's worth of bytes is not needed: padding after IEND is what a big file looks like to the reads.
    const big = Buffer.concat([png.subarray(0, png.length - 12), Buffer.alloc(20e6), png.subarray(png.length - 12)]);
    const { read, reads } = counting(big);
    const info = await fileImageInfo(read, big.length);
    assert.deepEqual(info?.dimensions, { width: 64, height: 48 });
    assert.ok(reads.bytes <= 2 * headBytes, `read ${reads.bytes} bytes`);
  });
  test('a JPEG whose frame header comes after 2 MB of APP segments is found by walking markers', async () => {
    const jpeg = photoJpeg(40, 24);
    const app = Buffer.alloc(65535 + 2);
    app.set([0xff, 0xe1, 0xff, 0xff]);
    const padded = Buffer.concat([jpeg.subarray(0, 2), ...new Array(32).fill(app), jpeg.subarray(2)]);
    const { read, reads } = counting(padded);
    const info = await fileImageInfo(read, padded.length);
    assert.deepEqual(info, { format: 'jpeg', dimensions: { width: 40, height: 24 } });
    assert.ok(reads.bytes <= 2 * headBytes + 9 * 64, `read ${reads.bytes} bytes of ${padded.length}`);
  });
  test('real files through readFileImageInfo; not an image gives undefined', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgsize-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.webp'), headerWebp(3000, 2000));
      fs.writeFileSync(path.join(dir, 'b.png'), photoPng(7, 5));
      fs.writeFileSync(path.join(dir, 'c.png'), 'not a png at all');
      assert.deepEqual((await readFileImageInfo(path.join(dir, 'a.webp')))?.dimensions, { width: 3000, height: 2000 });
      assert.deepEqual(await readFileImageInfo(path.join(dir, 'b.png')), { format: 'png', dimensions: { width: 7, height: 5 } });
      assert.equal(await readFileImageInfo(path.join(dir, 'c.png')), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
