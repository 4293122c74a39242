import * as assert from 'node:assert/strict';
import { describeNonImage, sniffImageFormat } from '../../src/core/api/sniff';
import { largePng, smallPng, tinyJpeg, tinyWebp } from '../fixtures/fakeImageServer';

suite('sniff: the format is what the bytes are', () => {
  test('PNG, JPEG and WebP by their magic numbers', () => {
    assert.equal(sniffImageFormat(smallPng()), 'png');
    assert.equal(sniffImageFormat(largePng()), 'png');
    assert.equal(sniffImageFormat(tinyJpeg), 'jpeg');
    assert.equal(sniffImageFormat(tinyWebp), 'webp');
    // A view into a larger buffer, as the client's in-place decoding hands them over.
    const body = Buffer.concat([Buffer.from('{"data":[{"b64_json":"'), tinyWebp, Buffer.from('"}]}')]);
    assert.equal(sniffImageFormat(body.subarray(22, 22 + tinyWebp.length)), 'webp');
  });

  test('anything else is no image, with a word for what it is', () => {
    const cases: [Buffer, string][] = [
      [Buffer.from('<!DOCTYPE html><html><title>Login</title></html>'), 'an HTML page'],
      [Buffer.from('\uFEFF  <html>'), 'an HTML page'],
      [Buffer.from('{"error":"nope"}'), 'JSON'],
      [Buffer.from('upstream connect error'), 'text'],
      [Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'a GIF image'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'SVG or XML text'],
      [Buffer.from('%PDF-1.7'), 'a PDF document'],
      [Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'), 'a RIFF file that is not WebP'],
      [Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff]), 'bytes of an unknown kind'],
      [Buffer.alloc(0), 'nothing'],
    ];
    for (const [bytes, description] of cases) {
      assert.equal(sniffImageFormat(bytes), undefined, description);
      assert.equal(describeNonImage(bytes), description);
    }
  });

  test('truncated signatures are not images', () => {
    assert.equal(sniffImageFormat(smallPng().subarray(0, 7)), undefined);
    assert.equal(sniffImageFormat(tinyJpeg.subarray(0, 2)), undefined);
    assert.equal(sniffImageFormat(tinyWebp.subarray(0, 12)), undefined);
    assert.equal(sniffImageFormat(Buffer.from('RIFF\x00\x00\x00\x00WEBPJUNK', 'latin1')), undefined, 'WebP needs a VP8 chunk');
  });
});
