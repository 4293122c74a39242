import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import {
  crc32,
  largePng,
  smallPng,
  sniffImage,
  startFakeImageServer,
  tinyJpeg,
  tinyWebp,
  type FakeImageServer,
} from '../fixtures/fakeImageServer';
import { main } from '../fixtures/fakeImageServerMain';

interface PngInfo {
  readonly width: number;
  readonly height: number;
  readonly chunks: string[];
  readonly pixels: Buffer;
}

/** Walks a PNG checking every CRC, then inflates IDAT: a small decoder so the test needs no image library. */
function readPng(bytes: Buffer): PngInfo {
  assert.equal(sniffImage(bytes), 'png');
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let offset = 8; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    assert.equal(bytes.readUInt32BE(offset + 8 + length), crc32(bytes.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0], '8-bit RGB, no interlace');
    }
    if (type === 'IDAT') idat.push(data);
    chunks.push(type);
    offset += 12 + length;
  }
  return { width, height, chunks, pixels: inflateSync(Buffer.concat(idat)) };
}

async function post(server: FakeImageServer, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.baseUrl}/images/generations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

suite('fixture images', () => {
  test('crc32 matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  test('the small PNG is a valid 64x64 RGB image', () => {
    const png = readPng(smallPng());
    assert.deepEqual(png.chunks, ['IHDR', 'IDAT', 'IEND']);
    assert.equal(png.width, 64);
    assert.equal(png.height, 64);
    assert.equal(png.pixels.length, (64 * 3 + 1) * 64);
  });

  test('the large PNG is ~2 MB of incompressible noise', () => {
    const bytes = largePng();
    assert.ok(bytes.length > 2_000_000 && bytes.length < 2_300_000, String(bytes.length));
    const png = readPng(bytes);
    assert.equal(png.width * png.height * 3 + png.height, png.pixels.length);
    assert.equal(largePng(), bytes, 'cached');
  });

  test('the JPEG and WebP constants have the right structure', () => {
    assert.equal(sniffImage(tinyJpeg), 'jpeg');
    assert.deepEqual([...tinyJpeg.subarray(-2)], [0xff, 0xd9]);
    assert.equal(sniffImage(tinyWebp), 'webp');
    assert.equal(tinyWebp.readUInt32LE(4), tinyWebp.length - 8, 'RIFF size');
    assert.equal(tinyWebp.toString('latin1', 12, 16), 'VP8L');
  });
});

suite('fixture server', () => {
  let server: FakeImageServer;
  const key = 'sk-fixture-key';
  const auth = { Authorization: `Bearer ${key}` };
  const seed = { model: 'gpt-image-2', prompt: 'A beautiful sunset', n: 1, size: '1024x1024' };

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key, slowMs: 200 });
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  test('answers the seed payload like the API and records the request', async () => {
    const { status, json } = await post(server, seed, auth);
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(json), ['created', 'data', 'background', 'output_format', 'size', 'quality', 'usage']);
    assert.deepEqual(Buffer.from(json.data[0].b64_json, 'base64'), smallPng());
    assert.equal(server.requests[0].body, JSON.stringify(seed));
    assert.deepEqual(server.requests[0].json, seed);
  });

  test('rejects a missing or wrong key with 401 in the OpenAI error shape', async () => {
    const missing = await post(server, seed);
    assert.equal(missing.status, 401);
    assert.deepEqual(Object.keys(missing.json.error), ['message', 'type', 'param', 'code']);
    const wrong = await post(server, seed, { Authorization: 'Bearer sk-nope-12' });
    assert.equal(wrong.json.error.code, 'invalid_api_key');
    assert.ok(!wrong.json.error.message.includes('sk-nope-12'), 'masked like OpenAI');
  });

  const invalid: [string, unknown, string, string][] = [
    ['response_format', { ...seed, response_format: 'b64_json' }, 'response_format', 'unknown_parameter'],
    ['style', { ...seed, style: 'vivid' }, 'style', 'unknown_parameter'],
    ['missing prompt', { model: 'gpt-image-2' }, 'prompt', 'missing_required_parameter'],
    ['prompt as a number', { ...seed, prompt: 5 }, 'prompt', 'invalid_type'],
    ['prompt too long', { ...seed, prompt: 'a'.repeat(32_001) }, 'prompt', 'string_above_max_length'],
    ['missing model', { prompt: 'x' }, 'model', 'missing_required_parameter'],
    ['n as a string', { ...seed, n: '1' }, 'n', 'invalid_type'],
    ['n = 11', { ...seed, n: 11 }, 'n', 'integer_above_max_value'],
    ['quality hd', { ...seed, quality: 'hd' }, 'quality', 'invalid_value'],
    ['size 1000x1000', { ...seed, size: '1000x1000' }, 'size', 'invalid_value'],
    ['custom size on gpt-image-1', { ...seed, model: 'gpt-image-1', size: '2048x1152' }, 'size', 'invalid_value'],
    ['size 4096x2048', { ...seed, size: '4096x2048' }, 'size', 'invalid_value'],
    ['transparent jpeg', { ...seed, background: 'transparent', output_format: 'jpeg' }, 'background', 'invalid_value'],
    ['compression for png', { ...seed, output_compression: 50 }, 'output_compression', 'invalid_value'],
    ['stream', { ...seed, stream: true }, 'stream', 'invalid_value'],
  ];
  for (const [name, body, param, code] of invalid) {
    test(`400 for ${name}`, async () => {
      const { status, json } = await post(server, body, auth);
      assert.equal(status, 400);
      assert.equal(json.error.param, param);
      assert.equal(json.error.code, code);
    });
  }

  test('404 for an unknown model or path, 400 for a non-JSON body', async () => {
    assert.equal((await post(server, { ...seed, model: 'dall-e-3' }, auth)).json.error.code, 'model_not_found');
    const wrongPath = await fetch(`${server.baseUrl}/images/edits`, { method: 'POST', headers: auth, body: '{}' });
    assert.equal(wrongPath.status, 404);
    assert.equal((await post(server, 'not json', auth)).status, 400);
  });

  test('prompt keywords trigger 401, 500, moderation and a slow answer', async () => {
    assert.equal((await post(server, { ...seed, prompt: 'a cat [401]' }, auth)).status, 401);
    assert.equal((await post(server, { ...seed, prompt: 'a cat [500]' }, auth)).status, 500);
    const blocked = await post(server, { ...seed, prompt: 'a cat [moderation]' }, auth);
    assert.equal(blocked.json.error.code, 'moderation_blocked');
    const started = Date.now();
    assert.equal((await post(server, { ...seed, prompt: 'a cat [slow]' }, auth)).status, 200);
    assert.ok(Date.now() - started >= 180);
  });

  test('scripted answers are used once each, in order, then the default resumes', async () => {
    server.script({ status: 503, error: { message: 'overloaded', type: 'server_error' }, headers: { 'retry-after': '1' } }, { text: 'hello' });
    const first = await fetch(`${server.baseUrl}/images/generations`, { method: 'POST', headers: auth, body: '{}' });
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('retry-after'), '1');
    assert.match(first.headers.get('x-request-id') ?? '', /^req_/);
    const second = await fetch(`${server.baseUrl}/images/generations`, { method: 'POST', headers: auth, body: '{}' });
    assert.equal(await second.text(), 'hello');
    assert.equal((await post(server, seed, auth)).status, 200);
  });

  test('url delivery serves the files from the same server', async () => {
    server.script({ delivery: 'url' });
    const { json } = await post(server, { ...seed, output_format: 'webp' }, auth);
    const file = await fetch(json.data[0].url);
    assert.equal(file.headers.get('content-type'), 'image/webp');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), tinyWebp);
  });
});

suite('fixture server CLI', () => {
  test('main() starts on an ephemeral port and prints the base URL', async () => {
    const lines: string[] = [];
    const server = await main(['0'], {}, (line) => lines.push(line));
    try {
      assert.deepEqual(lines, [`FAKE_IMAGE_SERVER ${server.baseUrl}`]);
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    } finally {
      await server.close();
    }
  });

  test('as a process, it prints FAKE_IMAGE_SERVER on stdout and serves', async () => {
    const script = path.join(__dirname, '..', 'fixtures', 'fakeImageServerMain.js');
    const child = spawn(process.execPath, [script], { env: { ...process.env, FAKE_PORT: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /FAKE_IMAGE_SERVER (\S+)\n/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const response = await fetch(`${baseUrl}/images/generations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-image-2', prompt: 'x' }),
      });
      assert.equal(response.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
