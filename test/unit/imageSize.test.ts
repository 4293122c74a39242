import * as assert from 'node:assert/strict';
import { readDimensions } from '../../src/core/imageSize';
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
