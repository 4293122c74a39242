import * as assert from 'node:assert/strict';
import { ImageApiError } from '../../src/core/errors';
import type { EditInput, NamedBytes } from '../../src/core/editTypes';
import { maxEditImageBytes, partFileName, validateEdit } from '../../src/core/editValidate';
import { readPng } from '../../src/core/png';
import { sniffImageFormat } from '../../src/core/api/sniff';
import { buildPng, headerWebp, maskPng, photoJpeg, photoPng, pngChunk, signature } from '../fixtures/editImages';
import { tinyJpeg } from '../fixtures/fakeImageServer';

const photo: NamedBytes = { name: 'photo.png', bytes: photoPng(64, 48) };
const leftHalf: NamedBytes = { name: 'mask.png', bytes: maskPng(64, 48, (x) => x < 32) };

function input(extra: Partial<EditInput> = {}): EditInput {
  return { prompt: 'Add a red hat', images: [photo], ...extra };
}

async function refused(edit: EditInput, param: string, pattern: RegExp): Promise<void> {
  await assert.rejects(validateEdit(edit), (error: unknown) => {
    assert.ok(error instanceof ImageApiError, String(error));
    assert.equal(error.kind, 'validation');
    assert.equal(error.param, param, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

/** A PNG header claiming `width`×`height` with a little real data: valid structure, bomb-sized claims. */
function claimedPng(width: number, height: number, colorType = 6): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colorType, 0, 0, 0], 8);
  return Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), pngChunk('IEND', Buffer.alloc(0))]);
}

suite('validateEdit: images', () => {
  test('a plain edit: prompt and options as for a generation, no moderation, the file as a part', async () => {
    const request = await validateEdit({ ...input({ n: 2, size: '1536x1024', quality: 'high' }), moderation: 'low' } as EditInput);
    assert.equal(request.model, 'gpt-image-2');
    assert.equal(request.n, 2);
    assert.equal(request.quality, 'high');
    assert.ok(!('moderation' in request));
    assert.deepEqual(
      request.images.map(({ source, fileName, format, width, height }) => ({ source, fileName, format, width, height })),
      [{ source: 'photo.png', fileName: 'photo.png', format: 'png', width: 64, height: 48 }],
    );
    assert.equal(request.mask, undefined);
  });

  test('1 to 16 images: none and 17 are refused', async () => {
    await refused(input({ images: [] }), 'images', /Pick an image/);
    const seventeen = Array.from({ length: 17 }, (_, i) => ({ name: `ref-${i}.png`, bytes: photo.bytes }));
    await refused(input({ images: seventeen }), 'images', /at most 16 images, not 17/);
    const request = await validateEdit(input({ images: seventeen.slice(0, 16) }));
    assert.equal(request.images.length, 16);
  });

  test('formats come from the bytes: a PNG named .jpg is sent as photo.png, a GIF named .png is refused', async () => {
    const request = await validateEdit(input({ images: [{ name: 'photo.jpg', bytes: photo.bytes }, { name: 'ref.png', bytes: tinyJpeg }] }));
    assert.deepEqual(request.images.map((image) => [image.fileName, image.format]), [['photo.png', 'png'], ['ref.jpg', 'jpeg']]);
    await refused(input({ images: [{ name: 'cat.png', bytes: Buffer.from('GIF89a\x01\x00\x01\x00') }] }), 'images', /"cat\.png" is not a PNG, JPEG or WebP image but a GIF image/);
    await refused(input({ images: [photo, { name: 'notes.webp', bytes: Buffer.from('<html>hi</html>') }] }), 'images', /"notes\.webp" .* an HTML page/);
  });

  test('each image must be under 50 MB: a 60 MB file is refused by name', async () => {
    const big = Buffer.alloc(60 * 1024 * 1024);
    (photo.bytes as Buffer).copy(big);
    await refused(input({ images: [photo, { name: 'huge.png', bytes: big }] }), 'images', /"huge\.png" is 60 MB; each image of an edit must be under 50 MB/);
    await refused(input({ images: [{ name: 'edge.png', bytes: Buffer.alloc(maxEditImageBytes) }] }), 'images', /under 50 MB/);
  });

  test('truncated and damaged images are refused before sending', async () => {
    const png = photo.bytes as Buffer;
    await refused(input({ images: [{ name: 'cut.png', bytes: png.subarray(0, png.length - 30) }] }), 'images', /"cut\.png" is not a PNG/);
  });

  test('part file names: safe ASCII, the real format’s extension, a fallback for names with nothing usable', () => {
    assert.equal(partFileName('/home/me/Fotos/Ünïcode näme (1).JPG', 'jpeg', 0), 'Unicode-name-1.jpg');
    assert.equal(partFileName('猫.webp', 'png', 2), 'image-3.png');
    assert.equal(partFileName('a"b\r\nc.png', 'png', 0), 'a-b-c.png');
    assert.equal(partFileName('..png', 'png', 0, 'mask'), 'mask-1.png');
  });
});

suite('validateEdit: the mask', () => {
  test('a good mask: RGBA, the first image’s size, transparent where to edit', async () => {
    const request = await validateEdit(input({ mask: leftHalf }));
    assert.equal(request.mask?.fileName, 'mask.png');
    assert.equal(request.mask?.format, 'png');
    assert.equal(request.images[0].converted, undefined);
  });

  test('a mask must be a PNG under 4 MB', async () => {
    await refused(input({ mask: { name: 'mask.jpg', bytes: tinyJpeg } }), 'mask', /The mask "mask\.jpg" is a JPEG; a mask must be a PNG with an alpha channel/);
    await refused(input({ mask: { name: 'mask.png', bytes: Buffer.alloc(4 * 1024 * 1024) } }), 'mask', /is 4 MB; a mask must be under 4 MB/);
  });

  test('a mask needs an alpha channel (RGB, grey and palette PNGs have none)', async () => {
    await refused(input({ mask: { name: 'rgb.png', bytes: photoPng(64, 48) } }), 'mask', /"rgb\.png" has no alpha channel/);
    const grey = buildPng({ width: 64, height: 48, colorType: 0, pixel: () => [0] });
    await refused(input({ mask: { name: 'grey.png', bytes: grey } }), 'mask', /no alpha channel/);
  });

  test('a mask of another size than the first image is refused, naming both sizes', async () => {
    await refused(input({ mask: { name: 'mask.png', bytes: maskPng(48, 64, (x) => x < 3) } }), 'mask', /"mask\.png" is 48×64 pixels but .* "photo\.png", is 64×48/);
    // The first image decides, not a reference.
    const refs = [photo, { name: 'ref.png', bytes: photoPng(48, 64) }];
    await validateEdit(input({ images: refs, mask: leftHalf }));
  });

  test('all opaque (nothing to change) and all transparent (nothing kept) are refused', async () => {
    await refused(input({ mask: { name: 'opaque.png', bytes: maskPng(64, 48, () => false) } }), 'mask', /no fully transparent pixels/);
    await refused(input({ mask: { name: 'clear.png', bytes: maskPng(64, 48, () => true) } }), 'mask', /transparent everywhere/);
    // Half-transparent is not "the area to change": only alpha 0 is.
    const soft = buildPng({ width: 64, height: 48, pixel: () => [0, 0, 0, 128] });
    await refused(input({ mask: { name: 'soft.png', bytes: soft } }), 'mask', /no fully transparent pixels/);
  });

  test('a truncated or corrupt mask is a damaged PNG', async () => {
    const good = leftHalf.bytes as Buffer;
    await refused(input({ mask: { name: 'cut.png', bytes: good.subarray(0, good.length - 1) } }), 'mask', /is a PNG|is bytes|damaged|a mask must be a PNG/);
    const corrupt = Buffer.from(good);
    corrupt[45] ^= 0x55;
    await refused(input({ mask: { name: 'bad.png', bytes: corrupt } }), 'mask', /"bad\.png" is a damaged PNG: its IDAT chunk fails its checksum/);
  });

  test('a PNG bomb is refused from its header, before anything is inflated', async () => {
    // The mask claims another size than the image: refused on dimensions.
    await refused(input({ mask: { name: 'bomb.png', bytes: claimedPng(60000, 60000) } }), 'mask', /60000×60000 pixels but/);
    // Image and mask both claim 60000×60000: over 50 megapixels, refused without decoding.
    const started = Date.now();
    await refused(
      input({ images: [{ name: 'big.png', bytes: claimedPng(60000, 60000, 2) }], mask: { name: 'bomb.png', bytes: claimedPng(60000, 60000) } }),
      'mask',
      /more than 50 megapixels/,
    );
    assert.ok(Date.now() - started < 5000);
  });

  test('a JPEG with a mask is converted to an RGBA PNG of the same size; references stay as they are', async () => {
    const jpeg = photoJpeg(64, 48);
    const request = await validateEdit(input({ images: [{ name: 'shot.jpeg', bytes: jpeg }, { name: 'ref.jpg', bytes: jpeg }], mask: leftHalf }));
    const [first, ref] = request.images;
    assert.equal(first.converted, true);
    assert.equal(first.format, 'png');
    assert.equal(first.fileName, 'shot.png');
    assert.equal(sniffImageFormat(first.bytes), 'png');
    assert.deepEqual(readPng(first.bytes).header, { width: 64, height: 48, bitDepth: 8, colorType: 6, interlaced: false });
    assert.equal(ref.format, 'jpeg');
    assert.equal(ref.fileName, 'ref.jpg');
    // Without a mask nothing is converted.
    assert.equal((await validateEdit(input({ images: [{ name: 'shot.jpeg', bytes: jpeg }] }))).images[0].format, 'jpeg');
  });

  test('a WebP with a mask is refused with what to do; without a mask it is sent as WebP', async () => {
    const webp = headerWebp(64, 48);
    await refused(input({ images: [{ name: 'pic.webp', bytes: webp }], mask: leftHalf }), 'images', /"pic\.webp" is a WebP image, and an edit with a mask needs a PNG: export it as PNG/);
    const request = await validateEdit(input({ images: [{ name: 'pic.webp', bytes: webp }] }));
    assert.deepEqual([request.images[0].fileName, request.images[0].width, request.images[0].height], ['pic.webp', 64, 48]);
  });
});
