import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fsPromises = require('node:fs/promises');
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { ResponseBody } from '../../src/core/api/responseBody';
import { sniffImageFormat, sniffImageParts } from '../../src/core/api/sniff';
import { readImagesStreaming, type StreamedBody } from '../../src/core/api/streamingImages';
import { ImageApiError } from '../../src/core/errors';
import { tempPattern } from '../../src/core/tempFile';
import { largePng, smallPng, tinyJpeg, tinyPng, tinyWebp } from '../fixtures/fakeImageServer';

// The streaming scanner on its own (issue #11, part 3): bodies fed in pieces of every size, the unusual
// shapes that must give way to the generic path, limits, and no temp file left on any failure. The same
// paths through real HTTP are in streamingClient.test.ts.

let dir: string;

setup(async () => {
  dir = await fsPromises.mkdtemp(path.join(os.tmpdir(), 'gis-stream-'));
});

teardown(async () => {
  await fsPromises.rm(dir, { recursive: true, force: true });
});

function body(chunks: readonly Buffer[]): ResponseBody {
  return Readable.from(chunks, { objectMode: true }) as unknown as ResponseBody;
}

/** `text` cut at the given offsets. */
function split(text: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [0, ...cuts, text.length];
  return points.slice(1).map((end, i) => text.subarray(points[i], end));
}

const overflow = (): Error => new ImageApiError('badResponse', 'too large');

function read(chunks: readonly Buffer[], options: { limit?: number; n?: number } = {}): Promise<StreamedBody> {
  return readImagesStreaming(body(chunks), options.limit ?? 1e9, overflow, { dir }, options.n ?? 10);
}

const answer = (data: unknown[], extra: Record<string, unknown> = {}): Buffer =>
  Buffer.from(JSON.stringify({ created: 1700000000, data, background: 'opaque', output_format: 'png', size: '1024x1024', quality: 'high', usage: { total_tokens: 7 }, ...extra }));

function tempsLeft(): string[] {
  return fs.readdirSync(dir).filter((name) => tempPattern.test(name));
}

/** Streamed: each data item's bytes in its file, the rest of the JSON intact, b64_json gone from it. */
function assertSpooled(result: StreamedBody, images: readonly Buffer[], context: string): void {
  assert.equal(result.kind, 'spooled', context);
  if (result.kind !== 'spooled') return;
  const data = result.json.data as Record<string, unknown>[];
  assert.equal(data.length, images.length, context);
  data.forEach((item, i) => {
    const file = result.files.get(item);
    assert.ok(file, `${context}: item ${i} has a file`);
    assert.ok(fs.readFileSync(file.tempFile).equals(images[i]!), `${context}: bytes of image ${i}`);
    assert.equal(file.byteLength, images[i]!.length);
    assert.equal('b64_json' in item, false);
  });
  assert.equal(result.json.created, 1700000000);
  assert.deepEqual(result.json.usage, { total_tokens: 7 });
  assert.equal(result.json.quality, 'high');
  assert.equal(tempsLeft().length, images.length, context);
}

async function removeAll(): Promise<void> {
  for (const name of tempsLeft()) await fsPromises.rm(path.join(dir, name));
}

suite('streamingImages: decoding b64_json into temp files as the body arrives', () => {
  test('a body cut at every byte (two and three pieces) streams the same images and JSON', async function () {
    this.timeout(60_000);
    const images = [tinyPng(), tinyJpeg];
    const text = answer(images.map((image) => ({ b64_json: image.toString('base64'), revised_prompt: 'a "quoted" \\ prompt' })));
    for (let cut = 1; cut < text.length; cut++) {
      assertSpooled(await read(split(text, [cut])), images, `cut at ${cut}`);
      await removeAll();
    }
    for (let cut = 1; cut + 3 < text.length; cut += 11) {
      assertSpooled(await read(split(text, [cut, cut + 1, cut + 3])), images, `cuts at ${cut}, +1, +3`);
      await removeAll();
    }
    const oneByteEach = split(text, Array.from({ length: text.length - 1 }, (_, i) => i + 1));
    assertSpooled(await read(oneByteEach), images, 'one byte per chunk');
  });

  test('base64 of every length mod 4, with and without padding, and across the 64 KB step', async function () {
    this.timeout(60_000);
    const images = [Buffer.from([1]), Buffer.from([1, 2]), Buffer.from([1, 2, 3]), Buffer.alloc(200_001, 9)];
    for (const image of images) {
      for (const b64 of [image.toString('base64'), image.toString('base64').replace(/=+$/, '')]) {
        const text = answer([{ b64_json: b64 }]);
        for (const size of image.length > 1000 ? [4093, 65_536, text.length] : [1, 3, 4, 7, text.length]) {
          const chunks = split(text, Array.from({ length: Math.ceil(text.length / size) - 1 }, (_, i) => (i + 1) * size));
          assertSpooled(await read(chunks), [image], `${image.length} bytes, ${b64.length} chars, chunks of ${size}`);
          await removeAll();
        }
      }
    }
  });

  test('odd key orders and whitespace around keys still stream', async () => {
    const b64 = smallPng().toString('base64');
    const texts = [
      `{"data":[{"revised_prompt":"x","b64_json":"${b64}"}],"usage":{"total_tokens":7},"created":1700000000,"quality":"high"}`,
      `{ "created" : 1700000000 ,\n "data" : [ { "b64_json" \t:\r\n "${b64}" } ] , "quality":"high","usage":{"total_tokens":7} }`,
    ];
    for (const text of texts) {
      assertSpooled(await read([Buffer.from(text)]), [smallPng()], text.slice(0, 40));
      await removeAll();
    }
  });

  test('unusual shapes give way to the generic path with the exact body, and no temp file stays', async function () {
    this.timeout(60_000);
    const b64 = tinyPng().toString('base64');
    const escaped = b64.replace(/\//g, '\\/');
    assert.notEqual(escaped, b64, 'the fixture image has a / in its base64');
    const shapes: Record<string, Buffer | string> = {
      'an escaped slash (PHP json_encode)': answer([{ b64_json: 'x' }]).toString().replace('"x"', `"${escaped}"`),
      'whitespace in the base64': answer([{ b64_json: `${b64.slice(0, 8)} ${b64.slice(8)}` }]),
      'base64url characters': answer([{ b64_json: b64.replace(/\//g, '_').replace(/\+/g, '-') }]),
      'a misplaced =': answer([{ b64_json: `${b64.slice(0, 8)}=${b64.slice(9)}` }]),
      'url items': answer([{ url: 'https://example.com/a.png' }]),
      'an escaped key': answer([{ b64_json: 'x' }]).toString().replace('"b64_json":"x"', `"b64\\u005fjson":"${b64}"`),
      'b64_json twice in one item': Buffer.from(`{"data":[{"b64_json":"${b64}","b64_json":"${b64}"}]}`),
      'b64_json outside data': Buffer.from(`{"b64_json":"${b64}","data":[{"b64_json":"${b64}"}]}`),
      'broken JSON': Buffer.from(`{"data":[{"b64_json":"${b64}"}],}`),
      'truncated in the base64': answer([{ b64_json: b64 }]).subarray(0, 60),
      'truncated after the base64': answer([{ b64_json: b64 }]).subarray(0, 40 + b64.length),
      'data repeated': Buffer.from(`{"data":[{"b64_json":"${b64}"}],"data":[]}`),
      'empty base64': answer([{ b64_json: '' }]),
      'one character': answer([{ b64_json: 'A' }]),
    };
    for (const [name, value] of Object.entries(shapes)) {
      const text = Buffer.from(value);
      for (let cut = 1; cut < text.length; cut += name.startsWith('an escaped slash') ? 1 : 7) {
        const result = await read(split(text, [cut]));
        assert.equal(result.kind, 'buffered', `${name}, cut at ${cut}`);
        if (result.kind === 'buffered') assert.ok(result.bytes.equals(text), `${name}, cut at ${cut}: the body as it came`);
        assert.deepEqual(tempsLeft(), [], `${name}, cut at ${cut}`);
      }
    }
  });

  test('never more temp files than images asked for: the n + 1st string turns the read plain', async () => {
    const images = [tinyPng(), tinyPng(), tinyPng()];
    const text = answer(images.map((image) => ({ b64_json: image.toString('base64') })));
    let most = 0;
    const watcher = setInterval(() => (most = Math.max(most, tempsLeft().length)), 0);
    const result = await read(split(text, [30, 60, 90, 120, 150]), { n: 2 });
    clearInterval(watcher);
    assert.equal(result.kind, 'buffered');
    if (result.kind === 'buffered') assert.ok(result.bytes.equals(text));
    assert.ok(most <= 2, `${most} temp files at once`);
    assert.deepEqual(tempsLeft(), []);
    assertSpooled(await read([text], { n: 3 }), images, 'n = 3');
  });

  test('past the byte budget the read fails with the overflow error and removes its files', async () => {
    const text = answer([{ b64_json: smallPng().toString('base64') }, { b64_json: smallPng().toString('base64') }]);
    await assert.rejects(read(split(text, [text.length - 10]), { limit: text.length - 1 }), /too large/);
    assert.deepEqual(tempsLeft(), []);
    assert.equal((await read([text], { limit: text.length })).kind, 'spooled');
  });

  test('a body that breaks off mid-base64 rejects and leaves no temp file', async () => {
    const text = answer([{ b64_json: tinyPng().toString('base64') }, { b64_json: smallPng().toString('base64') }]);
    const broken = new Readable({ read() {} });
    broken.push(text.subarray(0, 400));
    const pending = readImagesStreaming(broken as unknown as ResponseBody, 1e9, overflow, { dir }, 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(tempsLeft().length, 2, 'both strings begun');
    broken.destroy(new Error('socket hang up'));
    await assert.rejects(pending, /socket hang up/);
    assert.deepEqual(tempsLeft(), []);
  });

  test('a full disk mid-write is an io error naming the folder; no temp file stays', async () => {
    const realOpen = fsPromises.open;
    fsPromises.open = (async (...args: Parameters<typeof fsPromises.open>) => {
      const handle = await realOpen(...args);
      handle.write = (async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }) as typeof handle.write;
      return handle;
    }) as typeof fsPromises.open;
    try {
      const image = Buffer.alloc(3_000_000, 5);
      await assert.rejects(read([answer([{ b64_json: image.toString('base64') }])]), (error: unknown) => {
        assert.ok(error instanceof ImageApiError);
        assert.equal(error.kind, 'io');
        assert.match(error.message, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*no space left on device \\(ENOSPC\\)`));
        return true;
      });
    } finally {
      fsPromises.open = realOpen;
    }
    assert.deepEqual(tempsLeft(), []);
  });

  test('a folder that changed before a temp file is created refuses; nothing is created', async () => {
    const text = answer([{ b64_json: tinyPng().toString('base64') }]);
    const recheck = async (): Promise<void> => {
      throw new ImageApiError('io', 'moved');
    };
    await assert.rejects(readImagesStreaming(body([text]), 1e9, overflow, { dir, recheck }, 1), /moved/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('memory stays flat: a 40 MB answer holds far less than the answer while it streams', async function () {
    this.timeout(30_000);
    const image = Buffer.alloc(30_000_000);
    for (let i = 0; i < image.length; i += 4096) image[i] = i & 0xff;
    const chunks = split(answer([{ b64_json: image.toString('base64') }]), []).flatMap((whole) =>
      Array.from({ length: Math.ceil(whole.length / 65_536) }, (_, i) => whole.subarray(i * 65_536, (i + 1) * 65_536)),
    );
    // The chunks themselves are the test's; what the scanner holds beyond them is what is measured.
    let retained = 0;
    const before = process.memoryUsage().arrayBuffers;
    const sampler = setInterval(() => (retained = Math.max(retained, process.memoryUsage().arrayBuffers - before)), 1);
    const result = await read(chunks);
    clearInterval(sampler);
    assertSpooled(result, [image], '30 MB image');
    assert.ok(retained < 16 * 1024 * 1024, `${Math.round(retained / 1e6)} MB of buffers held while 40 MB streamed`);
  });
});

suite('sniffImageParts: the sniffer from the head and tail a streamed image keeps', () => {
  test('gives the whole-file answer, or asks for the whole file, for images, impostors and padding', () => {
    const html = Buffer.from('<!DOCTYPE html><html><body>Not an image</body></html>'.repeat(50));
    const png = largePng();
    const cut = Buffer.concat([png.subarray(0, png.length - 12), Buffer.alloc(12)]);
    const samples: Record<string, Buffer> = {
      png,
      'png + zero padding': Buffer.concat([png, Buffer.alloc(5000)]),
      'png without IEND': cut,
      'png header, HTML after': Buffer.concat([png.subarray(0, 40), html]),
      jpeg: Buffer.concat([tinyJpeg.subarray(0, 2), Buffer.from([0xff, 0xe1, 0x80, 0x00]), Buffer.alloc(0x8000 - 2, 1), tinyJpeg.subarray(2)]),
      'tiny jpeg': tinyJpeg,
      webp: tinyWebp,
      html,
    };
    for (const [name, bytes] of Object.entries(samples)) {
      const expected = sniffImageFormat(bytes);
      for (const [headLength, tailLength] of [[bytes.length, bytes.length], [64, 64], [1000, 16], [20_000, 3000], [8, 8]] as const) {
        const head = bytes.subarray(0, Math.min(headLength, bytes.length));
        const tail = bytes.subarray(Math.max(0, bytes.length - tailLength));
        const parts = sniffImageParts(head, tail, bytes.length);
        if (parts !== 'whole') assert.equal(parts, expected, `${name}, head ${headLength}, tail ${tailLength}`);
        if (headLength >= bytes.length) assert.equal(parts, expected, `${name} whole`);
      }
    }
    assert.equal(sniffImageParts(png.subarray(0, 1 << 20), png.subarray(png.length - 65_536), png.length), 'png');
    assert.equal(sniffImageParts(Buffer.alloc(64), Buffer.alloc(64), 10_000), undefined, 'zeros: no format at all');
  });
});
