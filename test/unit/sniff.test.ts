import * as assert from 'node:assert/strict';
import { describeNonImage, sniffImageFormat } from '../../src/core/api/sniff';
import { largePng, smallPng, tinyJpeg, tinyPng, tinyWebp } from '../fixtures/fakeImageServer';

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

  test('the structure counts, not only the first bytes (issue #9, F6)', () => {
    const png = smallPng();
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const no = (bytes: Buffer, what: string): void => assert.equal(sniffImageFormat(bytes), undefined, what);
    no(Buffer.concat([png.subarray(0, 8), html]), 'a PNG signature followed by HTML');
    no(Buffer.concat([png.subarray(0, 33), html, Buffer.alloc(20)]), 'signature and IHDR, then HTML, no IEND');
    no(Buffer.concat([png, html]), 'HTML after IEND');
    no(png.subarray(0, png.length - 1), 'IEND cut short');
    const badCrc = Buffer.from(png);
    badCrc[29] ^= 1;
    no(badCrc, 'IHDR with a wrong CRC');
    no(Buffer.from([0xff, 0xd8, 0xff]), 'FF D8 FF alone');
    no(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), html, Buffer.alloc(40), Buffer.from([0xff, 0xd9])]), 'a JPEG start, HTML and an EOI');
    no(tinyJpeg.subarray(0, tinyJpeg.length - 2), 'no EOI');
    no(Buffer.concat([tinyJpeg, html]), 'HTML after EOI');
    const noFrame = Buffer.from(tinyJpeg);
    noFrame[noFrame.indexOf(Buffer.from([0xff, 0xc0])) + 1] = 0xe1; // SOF0 → APP1
    no(noFrame, 'no frame header before the scan');
    no(Buffer.concat([tinyWebp, Buffer.alloc(4)]), 'RIFF size shorter than the file');
    no(tinyWebp.subarray(0, tinyWebp.length - 2), 'RIFF size longer than the file');
    no(Buffer.concat([Buffer.from('RIFF\x12\x00\x00\x00WEBPVP8L\x00\x10\x00\x00', 'latin1'), Buffer.alloc(6)]), 'a chunk larger than the file');
  });

  test('real-world variations stay accepted: zero padding after IEND/EOI, an odd RIFF pad byte', () => {
    assert.equal(sniffImageFormat(tinyPng()), 'png');
    assert.equal(sniffImageFormat(Buffer.concat([smallPng(), Buffer.alloc(16)])), 'png');
    assert.equal(sniffImageFormat(Buffer.concat([tinyJpeg, Buffer.alloc(100)])), 'jpeg');
    const odd = Buffer.from(tinyWebp);
    odd.writeUInt32LE(odd.length - 9, 4);
    assert.equal(sniffImageFormat(odd), 'webp');
  });
});
