import * as assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { sniffImageFormat } from '../../src/core/api/sniff';
import { crc32, smallPng, startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { dimensionsFor, labelFor, sizedPng } from '../fixtures/fixtureImages';

/** Decodes an 8-bit RGB PNG with filters 0 and 2 (all the fixture writes), checking every CRC. */
function decode(bytes: Buffer): { width: number; height: number; rgb: Buffer } {
  assert.equal(sniffImageFormat(bytes), 'png');
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let offset = 8; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    assert.equal(bytes.readUInt32BE(offset + 8 + length), crc32(bytes.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  assert.equal(raw.length, (stride + 1) * height);
  const rgb = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    if (filter === 0) row.copy(rgb, y * stride);
    else {
      assert.equal(filter, 2, `row ${y}: filter ${filter}`);
      assert.ok(y > 0);
      for (let i = 0; i < stride; i++) rgb[y * stride + i] = (row[i] + rgb[(y - 1) * stride + i]) & 0xff;
    }
  }
  return { width, height, rgb };
}

const pixel = (image: { width: number; rgb: Buffer }, x: number, y: number): number[] => [
  ...image.rgb.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3),
];

suite('fixture images of the requested size (issue #15)', () => {
  test('every size the API allows decodes to exactly that size', () => {
    for (const [w, h] of [[1024, 1024], [1536, 1024], [1024, 1536], [3840, 2160], [2048, 1152], [16, 48], [1, 1]]) {
      const image = decode(sizedPng(w, h));
      assert.deepEqual([image.width, image.height], [w, h]);
    }
  });

  test('stays small even at 3840x2160 (runs of identical rows compress to almost nothing)', () => {
    assert.ok(sizedPng(3840, 2160, 7).length < 200_000, String(sizedPng(3840, 2160, 7).length));
  });

  test('images of one answer differ visibly: another hue at the same spot', () => {
    const first = decode(sizedPng(1536, 1024, 0));
    const second = decode(sizedPng(1536, 1024, 1));
    const a = pixel(first, 200, 200);
    const b = pixel(second, 200, 200);
    const distance = a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0);
    assert.ok(distance > 60, `${a} vs ${b}`);
  });

  test('a white frame and a white label are drawn; the label names size and number', () => {
    const image = decode(sizedPng(1536, 1024, 2));
    assert.deepEqual(pixel(image, 0, 0), [255, 255, 255]);
    assert.deepEqual(pixel(image, 1535, 512), [255, 255, 255]);
    const middleRow = Array.from({ length: 1536 }, (_, x) => pixel(image, x, 512).join(','));
    assert.ok(middleRow.slice(100, 1400).includes('255,255,255'), 'label pixels on the middle row');
    assert.equal(labelFor(1536, 1024, 2), '1536x1024 #3');
  });

  test('cached: the same request gets the same buffer', () => {
    assert.equal(sizedPng(640, 480, 3), sizedPng(640, 480, 3));
  });

  test('auto and unparsable sizes mean 1024x1024', () => {
    assert.deepEqual(dimensionsFor('auto'), { width: 1024, height: 1024 });
    assert.deepEqual(dimensionsFor(undefined), { width: 1024, height: 1024 });
    assert.deepEqual(dimensionsFor('1536x1024'), { width: 1536, height: 1024 });
  });
});

suite('fixture server answers with sized, distinct images (issue #15)', () => {
  let server: FakeImageServer;
  suiteSetup(async () => {
    server = await startFakeImageServer();
  });
  suiteTeardown(() => server.close());

  async function generate(body: Record<string, unknown>, target = server): Promise<Buffer[]> {
    const response = await fetch(`${target.baseUrl}/images/generations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-2', prompt: 'A lighthouse', ...body }),
    });
    assert.equal(response.status, 200);
    const json = (await response.json()) as { data: { b64_json: string }[] };
    return json.data.map((item) => Buffer.from(item.b64_json, 'base64'));
  }

  test('a landscape request gets landscape images, n distinct ones', async () => {
    const images = await generate({ size: '1536x1024', n: 3 });
    assert.equal(images.length, 3);
    for (const image of images) assert.deepEqual([decode(image).width, decode(image).height], [1536, 1024]);
    assert.equal(new Set(images.map((image) => image.toString('base64'))).size, 3);
  });

  test('auto gets 1024x1024', async () => {
    const [image] = await generate({ size: 'auto' });
    assert.deepEqual([decode(image).width, decode(image).height], [1024, 1024]);
  });

  test('sizedImages: false keeps the old 64x64 gradient for every size', async () => {
    const old = await startFakeImageServer({ sizedImages: false });
    try {
      const [image] = await generate({ size: '1536x1024' }, old);
      assert.deepEqual(image, smallPng());
    } finally {
      await old.close();
    }
  });
});
