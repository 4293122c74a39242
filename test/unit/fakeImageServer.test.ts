import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { Agent, request } from 'undici';
import {
  crc32,
  encodeKey,
  hostileLink,
  largePng,
  smallPng,
  sniffImage,
  startFakeImageServer,
  tinyJpeg,
  tinyPng,
  tinyWebp,
  type FakeImageServer,
  type KeyEcho,
} from '../fixtures/fakeImageServer';
import { sizedPng } from '../fixtures/fixtureImages';
import { main } from '../fixtures/fakeImageServerMain';
import { testCertificates } from '../fixtures/tls/testCertificates';

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
    assert.deepEqual(Buffer.from(json.data[0].b64_json, 'base64'), sizedPng(1024, 1024, 0));
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
    ['stream with n = 2', { ...seed, n: 2, stream: true }, 'stream', 'invalid_value'],
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
    const wrongPath = await fetch(`${server.baseUrl}/images/variations`, { method: 'POST', headers: auth, body: '{}' });
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

suite('fixture server: hostile behaviours (issue #9)', () => {
  let server: FakeImageServer;
  const key = 'sk-fixture-hostile-0123456789';
  const auth = { Authorization: `Bearer ${key}` };
  const seed = { model: 'gpt-image-2', prompt: 'A beautiful sunset', n: 1, size: '1024x1024' };

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  test('more images than n, sharing one base64 string', async () => {
    server.script({ imageCount: 10_000, imageBytes: tinyPng() });
    const { json } = await post(server, seed, auth);
    assert.equal(json.data.length, 10_000);
    assert.deepEqual(Buffer.from(json.data[9999].b64_json, 'base64'), tinyPng());
    assert.equal(sniffImage(tinyPng()), 'png');
  });

  test('bytes that are not the image asked for, with any echo or none', async () => {
    server.script({ imageBytes: Buffer.from('<html>hi</html>') }, { imageBytes: tinyJpeg, echoFormat: 'webp' }, { echoFormat: null });
    assert.equal(Buffer.from((await post(server, seed, auth)).json.data[0].b64_json, 'base64').toString(), '<html>hi</html>');
    const lying = (await post(server, { ...seed, output_format: 'webp' }, auth)).json;
    assert.equal(lying.output_format, 'webp');
    assert.deepEqual(Buffer.from(lying.data[0].b64_json, 'base64'), tinyJpeg);
    assert.ok(!('output_format' in (await post(server, seed, auth)).json));
  });

  test('url items exactly as scripted', async () => {
    server.script({ urls: ['http://127.0.0.1:1/admin/reboot?confirm=1', 'https://169.254.169.254/latest/meta-data/'] });
    assert.deepEqual((await post(server, seed, auth)).json.data, [
      { url: 'http://127.0.0.1:1/admin/reboot?confirm=1' },
      { url: 'https://169.254.169.254/latest/meta-data/' },
    ]);
  });

  test('files and redirects added by a test are served', async () => {
    const file = server.addFile('added.png', smallPng());
    const hop = server.addRedirect('hop.png', file, 307);
    const redirected = await fetch(hop, { redirect: 'manual' });
    assert.equal(redirected.status, 307);
    assert.equal(redirected.headers.get('location'), file);
    assert.deepEqual(Buffer.from(await (await fetch(hop)).arrayBuffer()), smallPng());
    assert.throws(() => server.addFile('../escape.png', smallPng()));
  });

  test('encodeKey writes the key raw, percent-encoded, in base64, base64url and Basic auth', () => {
    assert.equal(encodeKey('sk-a', 'raw'), 'sk-a');
    assert.equal(encodeKey('sk-a', 'percent'), '%73%6B%2D%61');
    assert.equal(Buffer.from(encodeKey(key, 'base64'), 'base64').toString(), key);
    assert.equal(Buffer.from(encodeKey(key, 'base64url'), 'base64url').toString(), `{"key":"${key}"}`);
    assert.equal(Buffer.from(encodeKey(key, 'basic').slice('Basic '.length), 'base64').toString(), `user:${key}`);
  });

  const echoes: [KeyEcho, (response: Response, text: string) => void][] = [
    [{ field: 'message' }, (_response, text) => assert.equal(JSON.parse(text).error.message, `Invalid key ${key}`)],
    [{ field: 'param', form: 'base64' }, (_response, text) => assert.equal(JSON.parse(text).error.param, encodeKey(key, 'base64'))],
    [{ field: 'code', form: 'percent' }, (_response, text) => assert.equal(JSON.parse(text).error.code, encodeKey(key, 'percent'))],
    [{ field: 'requestId' }, (response) => assert.equal(response.headers.get('x-request-id'), key)],
    [
      { field: 'location', at: 190 },
      (response) => {
        assert.equal(response.status, 302);
        assert.equal(response.headers.get('location')?.indexOf(key), 190);
      },
    ],
    [
      { field: 'body', at: 8190 },
      (response, text) => {
        assert.equal(response.status, 502);
        assert.equal(text.indexOf(key), 8190);
      },
    ],
  ];
  for (const [echo, check] of echoes) {
    test(`the key sent comes back in ${echo.field}${echo.form ? ` (${echo.form})` : ''}`, async () => {
      server.script({ echoKey: echo });
      const response = await fetch(`${server.baseUrl}/images/generations`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(seed),
        redirect: 'manual',
      });
      check(response, await response.text());
    });
  }

  test('prompt keywords: [link], [more-images], [not-image], [jpeg-as-webp], [internal-url], [echo-key]', async () => {
    const link = await post(server, { ...seed, prompt: 'a cat [link]' }, auth);
    assert.equal(link.status, 400);
    assert.equal(link.json.error.param, hostileLink);
    assert.ok(link.json.error.message.includes(hostileLink));
    const many = (await post(server, { ...seed, prompt: 'a cat [more-images]' }, auth)).json;
    assert.equal(many.data.length, 10_000);
    assert.deepEqual(Buffer.from(many.data[0].b64_json, 'base64'), tinyPng());
    const html = (await post(server, { ...seed, prompt: 'a cat [not-image]' }, auth)).json;
    assert.match(Buffer.from(html.data[0].b64_json, 'base64').toString(), /^<!DOCTYPE html>/);
    const jpeg = (await post(server, { ...seed, prompt: 'a cat [jpeg-as-webp]' }, auth)).json;
    assert.equal(jpeg.output_format, 'webp');
    assert.equal(sniffImage(Buffer.from(jpeg.data[0].b64_json, 'base64')), 'jpeg');
    const internal = (await post(server, { ...seed, prompt: 'a cat [internal-url]' }, auth)).json;
    assert.equal(internal.data[0].url, `http://localhost:${server.port}/admin/reboot?confirm=1`);
    const echo = await fetch(`${server.baseUrl}/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...seed, prompt: 'a cat [echo-key]' }),
    });
    assert.equal(echo.headers.get('x-request-id'), key);
    assert.equal(((await echo.json()) as { error: { param: string } }).error.param, key);
  });

  test('with tls it speaks https under the test certificate', async () => {
    const pki = testCertificates();
    const secure = await startFakeImageServer({ tls: { cert: pki.cert, key: pki.key } });
    const agent = new Agent({ connect: { ca: pki.ca } });
    try {
      assert.match(secure.baseUrl, /^https:\/\/127\.0\.0\.1:\d+\/v1$/);
      const response = await request(`${secure.baseUrl}/images/generations`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...seed, output_format: 'webp' }),
      });
      assert.equal(response.statusCode, 200);
      const json = (await response.body.json()) as { data: { b64_json: string }[] };
      assert.deepEqual(Buffer.from(json.data[0].b64_json, 'base64'), tinyWebp);
    } finally {
      await agent.close();
      await secure.close();
    }
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
