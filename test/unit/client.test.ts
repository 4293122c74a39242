import * as assert from 'node:assert/strict';
import { Pool } from 'undici';
import { decodeBase64Strict } from '../../src/core/api/base64Images';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { buildRequestBody, imagesEndpoint } from '../../src/core/api/request';
import { excerptOf } from '../../src/core/api/responseErrors';
import { abortableSleep, backoffDelay, isRetryableStatus, parseRetryAfter, retryDelay } from '../../src/core/api/retry';
import { redact } from '../../src/core/api/redact';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import type { GenerationRequest, Logger } from '../../src/core/types';
import {
  smallPng,
  startFakeImageServer,
  tinyJpeg,
  tinyWebp,
  type FakeImageServer,
  type FakeResponse,
} from '../fixtures/fakeImageServer';
import { sizedPng } from '../fixtures/fixtureImages';

const key = 'sk-test-SECRET-0123456789abcdef';
const seedRequest: GenerationRequest = { model: 'gpt-image-2', prompt: 'A beautiful sunset', n: 1, size: '1024x1024' };
const seedBody = '{"model":"gpt-image-2","prompt":"A beautiful sunset","n":1,"size":"1024x1024"}';

/** Every log line of the whole file, to check at the end that the key never appeared. */
const allLogLines: string[] = [];

interface Harness {
  readonly options: ClientOptions;
  readonly waits: number[];
  readonly lines: { level: string; text: string }[];
}

function harness(server: FakeImageServer, extra: Partial<ClientOptions> = {}): Harness {
  const waits: number[] = [];
  const lines: { level: string; text: string }[] = [];
  const record =
    (level: string) =>
    (text: string): void => {
      lines.push({ level, text });
      allLogLines.push(text);
    };
  const logger: Logger = { info: record('info'), warn: record('warn'), error: record('error') };
  return {
    waits,
    lines,
    options: {
      baseUrl: server.baseUrl,
      apiKey: key,
      userAgent: 'gpt-image-studio/0.1.0',
      logger,
      random: () => 0,
      // Records the wait instead of sleeping, so retry tests take milliseconds; still honours aborts.
      sleep: async (ms, signal) => {
        waits.push(ms);
        if (signal?.aborted) throw signal.reason;
      },
      ...extra,
    },
  };
}

async function expectError(
  promise: Promise<unknown>,
  kind: ImageErrorKind,
  check: (error: ImageApiError) => void = () => undefined,
): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, `expected ImageApiError, got ${String(error)}`);
    assert.equal(error.kind, kind, `kind of "${error.message}"`);
    assert.ok(!error.message.includes(key), 'the key is not in the message');
    assert.ok(!(error.excerpt ?? '').includes(key), 'the key is not in the excerpt');
    check(error);
    return error;
  }
  assert.fail(`expected an ImageApiError of kind ${kind}`);
}

function oneError(status: number, code: string | null, message = 'Something went wrong', extra: FakeResponse = {}): FakeResponse {
  return { status, error: { message, type: 'invalid_request_error', code }, ...extra };
}

suite('client: pure helpers', () => {
  test('buildRequestBody: the seed payload byte for byte, optional fields only when set, in order', () => {
    assert.equal(buildRequestBody(seedRequest), seedBody);
    assert.equal(
      buildRequestBody({
        ...seedRequest,
        user: 'u1',
        moderation: 'low',
        outputCompression: 80,
        outputFormat: 'webp',
        background: 'opaque',
        quality: 'high',
      }),
      '{"model":"gpt-image-2","prompt":"A beautiful sunset","n":1,"size":"1024x1024","quality":"high","background":"opaque","output_format":"webp","output_compression":80,"moderation":"low","user":"u1"}',
    );
  });

  test('imagesEndpoint tolerates trailing slashes and keeps a query; only http(s)', () => {
    assert.equal(imagesEndpoint().href, 'https://api.wisgate.ai/v1/images/generations');
    assert.equal(imagesEndpoint('https://api.wisgate.ai/v1///').href, 'https://api.wisgate.ai/v1/images/generations');
    assert.equal(imagesEndpoint('http://127.0.0.1:8080').href, 'http://127.0.0.1:8080/images/generations');
    assert.equal(imagesEndpoint('https://relay.example/openai/v1/?api-version=2').href, 'https://relay.example/openai/v1/images/generations?api-version=2');
    for (const loopback of ['http://localhost:8080/v1', 'http://127.0.0.1:9/v1', 'http://127.1.2.3/v1', 'http://[::1]:8080/v1']) {
      assert.equal(imagesEndpoint(loopback).protocol, 'http:', loopback);
    }
    for (const bad of [
      'ftp://api.wisgate.ai/v1',
      'file:///etc/passwd',
      'api.wisgate.ai/v1',
      '',
      'https://user:pw@api.wisgate.ai/v1',
      'http://api.wisgate.ai/v1',
      'http://192.168.1.20:8080/v1',
      'http://localhost.example/v1',
    ]) {
      assert.throws(
        () => imagesEndpoint(bad),
        (error: unknown) => error instanceof ImageApiError && error.kind === 'validation' && error.param === 'baseUrl',
        bad,
      );
    }
  });

  test('parseRetryAfter: retry-after-ms, seconds, HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter({ 'retry-after-ms': '1500' }, now), 1500);
    assert.equal(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' }, now), 1500, 'ms wins');
    assert.equal(parseRetryAfter({ 'retry-after': '3' }, now), 3000);
    assert.equal(parseRetryAfter({ 'retry-after': '0.5' }, now), 500);
    assert.equal(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:20 GMT' }, now), 20_000);
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(parseRetryAfter({}, now), undefined);
  });

  test('backoffDelay: 0.5 s doubling, capped at 8 s, jitter in (0.75, 1]', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((retry) => backoffDelay(retry, () => 0)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(backoffDelay(0, () => 0.999999), 500 * (1 - 0.999999 * 0.25));
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(1);
      assert.ok(delay > 750 && delay <= 1000, String(delay));
    }
  });

  test('retryDelay: max(Retry-After up to 60 s, backoff); a hint never shortens the wait (issue #9, F5)', () => {
    assert.equal(retryDelay({ 'retry-after': '0.25' }, 0, () => 0), 500, 'under the backoff: the backoff');
    assert.equal(retryDelay({ 'retry-after': '0.001' }, 0, () => 0), 500);
    assert.equal(retryDelay({ 'retry-after-ms': '1' }, 1, () => 0), 1000);
    assert.equal(retryDelay({ 'retry-after-ms': '1' }, 0, () => 0.999), 500 * (1 - 0.999 * 0.25), 'the jittered backoff');
    assert.equal(retryDelay({ 'retry-after': '3' }, 0, () => 0), 3000, 'over the backoff: the hint');
    assert.equal(retryDelay({ 'retry-after': '60' }, 0, () => 0), 60_000);
    assert.equal(retryDelay({ 'retry-after': '0' }, 0, () => 0), 500, 'Retry-After: 0 is no hint, as in openai-node');
    assert.equal(retryDelay({ 'retry-after-ms': '0' }, 2, () => 0), 2000);
    assert.equal(retryDelay({ 'retry-after': new Date(0).toUTCString() }, 1, () => 0, 0), 1000, 'a date that is now');
    assert.equal(retryDelay({ 'retry-after': '61' }, 0, () => 0), 500);
    assert.equal(retryDelay({ 'retry-after-ms': '-5' }, 1, () => 0), 1000);
    assert.equal(retryDelay({ 'retry-after': 'Thu, 01 Jan 2026 00:00:00 GMT' }, 2, () => 0, Date.parse('2026-01-01T00:00:10Z')), 2000, 'a date in the past');
    assert.equal(retryDelay(undefined, 3, () => 0), 4000);
  });

  test('isRetryableStatus follows the recipe', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(status), true, String(status));
    for (const status of [400, 401, 403, 404, 413, 422]) assert.equal(isRetryableStatus(status), false, String(status));
    assert.equal(isRetryableStatus(429, 'insufficient_quota'), false);
    assert.equal(isRetryableStatus(500, undefined, 'false'), false);
    assert.equal(isRetryableStatus(422, undefined, 'true'), true);
    assert.equal(isRetryableStatus(400, undefined, 'true'), false, 'a bad request stays bad');
    assert.equal(isRetryableStatus(429, 'insufficient_quota', 'true'), false);
  });

  test('decodeBase64Strict rejects what Buffer.from would silently accept', () => {
    const png = smallPng();
    assert.deepEqual(decodeBase64Strict(png.toString('base64')), png);
    assert.deepEqual(decodeBase64Strict(`data:image/png;base64,${png.toString('base64')}`), png);
    assert.deepEqual(decodeBase64Strict('aGk='), Buffer.from('hi'));
    assert.deepEqual(decodeBase64Strict('aGk'), Buffer.from('hi'), 'unpadded');
    assert.deepEqual(decodeBase64Strict('aGVs\nbG8='), Buffer.from('hello'), 'line breaks');
    for (const bad of ['', 'iVBORw0KGgo!!not*base64$$', 'aGk=x', 'a', 'aGk==', 'aG=k', '<html>', 'aGVsbG8_', '====']) {
      assert.equal(decodeBase64Strict(bad), undefined, bad);
    }
  });

  test('redact and excerptOf keep the key out, even across the 200-character cut', () => {
    assert.equal(redact(`key ${key} and ${key}`, key), 'key *** and ***');
    assert.equal(redact('nothing', ''), 'nothing');
    const text = `${'x'.repeat(190)}${key} tail`;
    const excerpt = excerptOf(text, key);
    assert.ok(!excerpt.includes(key.slice(0, 8)), excerpt);
    assert.ok(excerpt.length <= 200);
    assert.equal(excerptOf('\n\n  first line  \nsecond'), 'first line');
    assert.equal(excerptOf('<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>…</body></html>'), '502 Bad Gateway');
    assert.equal(excerptOf('<html><body><h1>Service Unavailable</h1><p>later</p></body></html>'), 'Service Unavailable');
  });

  test('abortableSleep resolves after the wait and rejects at once on abort', async () => {
    const started = Date.now();
    await abortableSleep(20);
    assert.ok(Date.now() - started >= 15);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const early = Date.now();
    await assert.rejects(abortableSleep(5000, controller.signal));
    assert.ok(Date.now() - early < 1000);
  });
});

suite('client: against the fixture server', () => {
  let server: FakeImageServer;

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(async () => {
    await server.close();
    for (const line of allLogLines) assert.ok(!line.includes(key), `the key leaked into a log line: ${line}`);
  });
  setup(() => server.reset());

  suite('the wire', () => {
    test("the seed's example payload goes out byte for byte with the seed's headers", async () => {
      const { options } = harness(server);
      const result = await generateImages(seedRequest, options);
      assert.equal(server.requests.length, 1);
      const [sent] = server.requests;
      assert.equal(sent.method, 'POST');
      assert.equal(sent.url, '/v1/images/generations');
      assert.equal(sent.body, seedBody);
      assert.equal(sent.headers.authorization, `Bearer ${key}`);
      assert.equal(sent.headers['content-type'], 'application/json');
      assert.equal(sent.headers.accept, 'application/json');
      assert.equal(sent.headers['user-agent'], 'gpt-image-studio/0.1.0');
      assert.equal(sent.headers['content-length'], String(Buffer.byteLength(seedBody)));
      const extra = Object.keys(sent.headers).filter(
        (name) => !['authorization', 'content-type', 'accept', 'user-agent', 'host', 'content-length', 'connection'].includes(name),
      );
      assert.deepEqual(extra, [], 'no other headers');
      assert.equal(result.images.length, 1);
      assert.deepEqual(result.images[0].bytes, sizedPng(1024, 1024));
    });

    test("the seed curl's payload with quality high", async () => {
      const { options } = harness(server);
      await generateImages(
        {
          model: 'gpt-image-2',
          prompt: 'A futuristic city skyline at dusk with neon reflections on rain-slicked streets',
          n: 1,
          size: '1024x1024',
          quality: 'high',
        },
        options,
      );
      assert.equal(
        server.requests[0].body,
        '{"model":"gpt-image-2","prompt":"A futuristic city skyline at dusk with neon reflections on rain-slicked streets","n":1,"size":"1024x1024","quality":"high"}',
      );
    });

    test('optional fields are sent only when set, never response_format, and the strict server accepts them all', async () => {
      const { options } = harness(server);
      const variants: GenerationRequest[] = [
        seedRequest,
        { ...seedRequest, size: 'auto', quality: 'auto', background: 'auto', outputFormat: 'png', moderation: 'auto' },
        { ...seedRequest, size: '2048x1152', background: 'transparent', outputFormat: 'webp', outputCompression: 50 },
        { ...seedRequest, model: 'gpt-image-1', size: '1536x1024', outputFormat: 'jpeg', outputCompression: 0, user: 'user-42' },
        { ...seedRequest, size: '3840x2160', quality: 'low', moderation: 'low' },
      ];
      for (const request of variants) await generateImages(request, options);
      assert.equal(server.requests.length, variants.length);
      for (const sent of server.requests) assert.ok(!sent.body.includes('response_format'), sent.body);
      assert.deepEqual(Object.keys(server.requests[2].json as object), ['model', 'prompt', 'n', 'size', 'background', 'output_format', 'output_compression']);
      assert.deepEqual(Object.keys(server.requests[3].json as object), ['model', 'prompt', 'n', 'size', 'output_format', 'output_compression', 'user']);
    });

    test('the fixture really rejects response_format, as the API does', async () => {
      const response = await fetch(`${server.baseUrl}/images/generations`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...seedRequest, response_format: 'b64_json' }),
      });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        error: { message: "Unknown parameter: 'response_format'.", type: 'invalid_request_error', param: 'response_format', code: 'unknown_parameter' },
      });
    });

    test('trailing slashes on the base URL are tolerated', async () => {
      const { options } = harness(server, { baseUrl: `${server.baseUrl}//` });
      await generateImages(seedRequest, options);
      assert.equal(server.requests[0].url, '/v1/images/generations');
    });

    test('a non-http(s) base URL or a missing key fail before any request', async () => {
      await expectError(generateImages(seedRequest, harness(server, { baseUrl: 'ftp://127.0.0.1/v1' }).options), 'validation', (error) => {
        assert.equal(error.param, 'baseUrl');
        assert.match(error.message, /must start with http:\/\/ or https:\/\//);
      });
      await expectError(generateImages(seedRequest, harness(server, { apiKey: '' }).options), 'auth');
      await expectError(generateImages(seedRequest, harness(server, { apiKey: `${key}\r\nX-Injected: 1` }).options), 'auth', (error) =>
        assert.match(error.message, /characters that cannot be sent/),
      );
      // From WISGATE_API_KEY or stored before Set API Key capped it: refused, not sent, never quoted.
      const long = `sk-${'x'.repeat(600)}`;
      await expectError(generateImages(seedRequest, harness(server, { apiKey: long }).options), 'auth', (error) => {
        assert.match(error.message, /longer than 512 characters/);
        assert.ok(!error.message.includes('x'.repeat(20)));
      });
      assert.equal(server.requests.length, 0);
    });

    test('an http:// base URL off this machine is refused before the key is sent, naming the setting', async () => {
      for (const baseUrl of ['http://api.wisgate.ai/v1', 'http://10.0.0.5:8080/v1', 'HTTP://Relay.Example/v1']) {
        await expectError(generateImages(seedRequest, harness(server, { baseUrl }).options), 'validation', (error) => {
          assert.equal(error.param, 'baseUrl');
          assert.equal(error.attempts, 0);
          assert.match(error.message, /^The base URL uses http:\/\/ for [^ ]+, which would send your API key unencrypted; use https:\/\//);
        });
      }
      assert.equal(server.requests.length, 0);
      // Loopback stays allowed: this whole suite talks to http://127.0.0.1.
      assert.equal((await generateImages(seedRequest, harness(server).options)).images.length, 1);
    });

    test('an injected undici Pool carries the request', async () => {
      const pool = new Pool(new URL(server.baseUrl).origin, { connections: 1 });
      try {
        const result = await generateImages(seedRequest, harness(server, { dispatcher: pool }).options);
        assert.equal(result.images.length, 1);
        assert.equal(pool.stats.connected, 1);
      } finally {
        await pool.close();
      }
    });

    test('one info line per attempt: method, URL, status, duration, request id, attempt', async () => {
      const { options, lines } = harness(server);
      server.script({ headers: { 'x-request-id': 'req_abc123' } });
      await generateImages(seedRequest, options);
      assert.equal(lines.length, 1);
      assert.equal(lines[0].level, 'info');
      assert.match(lines[0].text, /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/images\/generations → 200 in \d+ ms \(request id req_abc123, attempt 1\/3\)$/);
    });
  });

  suite('images in the response', () => {
    test('base64 PNG, with usage, request id, created and the echoed format', async () => {
      server.script({ headers: { 'x-request-id': 'req_ok' } });
      const result = await generateImages({ ...seedRequest, n: 3 }, harness(server).options);
      assert.equal(result.images.length, 3);
      result.images.forEach((image, k) => assert.deepEqual(image.bytes, sizedPng(1024, 1024, k)));
      assert.equal(result.outputFormat, 'png');
      assert.equal(result.requestId, 'req_ok');
      assert.equal(typeof result.created, 'number');
      assert.equal(result.usage?.output_tokens, 3 * 1056);
    });

    test('jpeg and webp bytes come back as sent', async () => {
      const jpeg = await generateImages({ ...seedRequest, outputFormat: 'jpeg' }, harness(server).options);
      assert.equal(jpeg.outputFormat, 'jpeg');
      assert.deepEqual(jpeg.images[0].bytes, tinyJpeg);
      const webp = await generateImages({ ...seedRequest, outputFormat: 'webp' }, harness(server).options);
      assert.equal(webp.outputFormat, 'webp');
      assert.deepEqual(webp.images[0].bytes, tinyWebp);
    });

    test('without an echoed format, the bytes decide, not what was asked for', async () => {
      const b64 = tinyWebp.toString('base64');
      server.script({ json: { created: 1, data: [{ b64_json: b64, revised_prompt: 'A sunset, revised' }] } });
      const result = await generateImages({ ...seedRequest, outputFormat: 'webp' }, harness(server).options);
      assert.equal(result.outputFormat, 'webp');
      assert.equal(result.images[0].format, 'webp');
      assert.equal(result.images[0].revisedPrompt, 'A sunset, revised');
      server.script({ json: { data: [{ b64_json: b64 }] } });
      assert.equal((await generateImages(seedRequest, harness(server).options)).outputFormat, 'webp', 'png was asked for, WebP arrived');
    });

    test('absolute URLs are downloaded from the same server, with the same signal and cap', async () => {
      server.script({ delivery: 'url' });
      const result = await generateImages({ ...seedRequest, n: 2 }, harness(server).options);
      assert.equal(result.images.length, 2);
      result.images.forEach((image, k) => assert.deepEqual(image.bytes, sizedPng(1024, 1024, k)));
      const downloads = server.requests.filter((request) => request.method === 'GET');
      assert.equal(downloads.length, 2);
      assert.match(downloads[0].url, /^\/v1\/files\/[0-9a-f]+\.png$/);
      assert.equal(downloads[0].headers.authorization, `Bearer ${key}`, 'same origin as the API: the key goes along');
    });

    test('relative URLs are resolved against the base URL', async () => {
      server.script({ delivery: 'relativeUrl', large: true });
      const result = await generateImages({ ...seedRequest, outputFormat: 'png' }, harness(server).options);
      assert.ok(result.images[0].bytes.length > 2_000_000, 'the ~2 MB noise PNG');
      assert.match(server.requests[1].url, /^\/v1\/files\//);
    });

    test('a data: URL in url is decoded, not fetched', async () => {
      server.script({ json: { created: 1, data: [{ url: `data:image/jpeg;base64,${tinyJpeg.toString('base64')}` }] } });
      const result = await generateImages(seedRequest, harness(server).options);
      assert.deepEqual(result.images[0].bytes, tinyJpeg);
      assert.equal(server.requests.length, 1);
    });

    test('a failed download is a badResponse and is not retried (the generation was billed)', async () => {
      server.script({ json: { created: 1, data: [{ url: 'files/missing.png' }] } });
      await expectError(generateImages(seedRequest, harness(server).options), 'badResponse', (error) => {
        assert.match(error.message, /^Downloading the image from 127\.0\.0\.1:\d+ failed with status 404\.$/);
        assert.equal(error.status, 404);
      });
      assert.equal(server.requests.filter((request) => request.method === 'POST').length, 1);
    });

    test('a download over the size cap stops', async () => {
      server.script({ delivery: 'url', large: true });
      await expectError(generateImages(seedRequest, harness(server, { maxResponseBytes: 100_000 }).options), 'badResponse', (error) =>
        assert.match(error.message, /larger than 98 KB/),
      );
    });
  });

  suite('errors that are not retried', () => {
    test('401 with the wrong key → auth, one attempt, request id, no key anywhere', async () => {
      const { options, waits } = harness(server, { apiKey: 'sk-wrong-key-0000000000' });
      await expectError(generateImages(seedRequest, options), 'auth', (error) => {
        assert.equal(error.status, 401);
        assert.equal(error.code, 'invalid_api_key');
        assert.match(error.requestId ?? '', /^req_/);
        assert.equal(error.attempts, 1);
        assert.match(error.message, /^The API key was rejected \(401\): Incorrect API key provided: sk-\*\*\*00\. /);
        assert.ok(!error.message.includes('sk-wrong-key-0000000000'));
      });
      assert.deepEqual(waits, []);
      assert.equal(server.requests.length, 1);
    });

    test('the key echoed by a server is redacted from messages and logs', async () => {
      const { options, lines } = harness(server);
      server.script(oneError(401, 'invalid_api_key', `Incorrect API key provided: ${key}.`));
      await expectError(generateImages(seedRequest, options), 'auth', (error) =>
        assert.equal(error.message, 'The API key was rejected (401): Incorrect API key provided: ***.'),
      );
      server.script({ status: 200, text: `proxy says: your key ${key} is fine` });
      await expectError(generateImages(seedRequest, options), 'badResponse', (error) => {
        assert.equal(error.excerpt, 'proxy says: your key *** is fine');
      });
      for (const line of lines) assert.ok(!line.text.includes(key), line.text);
    });

    const cases: { name: string; script: FakeResponse; kind: ImageErrorKind; message: RegExp }[] = [
      {
        name: '403 → permission',
        script: oneError(403, null, 'Token Group default Has Been Disabled'),
        kind: 'permission',
        message: /^Access was denied \(403\): Token Group default Has Been Disabled\.$/,
      },
      {
        name: '404 → notFound',
        script: oneError(404, 'model_not_found', 'The model `gpt-image-9` does not exist or you do not have access to it.'),
        kind: 'notFound',
        message: /^The images endpoint or the model was not found \(404\): The model `gpt-image-9` does not exist/,
      },
      {
        name: '429 insufficient_quota → quota',
        script: oneError(429, 'insufficient_quota', 'You exceeded your current quota, please check your plan and billing details.'),
        kind: 'quota',
        message: /^The account has no quota left \(429 insufficient_quota\): You exceeded your current quota/,
      },
      {
        name: '400 moderation_blocked → moderation',
        script: {
          status: 400,
          error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', code: 'moderation_blocked' },
        },
        kind: 'moderation',
        message: /^The safety system refused the prompt: Your request was rejected by the safety system\.$/,
      },
      {
        name: '400 with x-should-retry: true is still not retried',
        script: oneError(400, 'invalid_value', 'Bad size.', { headers: { 'x-should-retry': 'true' } }),
        kind: 'invalidRequest',
        message: /^Bad size\.$/,
      },
      {
        name: '500 with x-should-retry: false → server, one attempt',
        script: { status: 500, error: { message: 'The server had an error', type: 'server_error' }, headers: { 'x-should-retry': 'false' } },
        kind: 'server',
        message: /^The image service failed with status 500: The server had an error\.$/,
      },
      {
        name: '413 plain text → invalidRequest with the excerpt',
        script: { status: 413, text: 'Request Entity Too Large\nmore details' },
        kind: 'invalidRequest',
        message: /^The request was rejected \(413\): "Request Entity Too Large"\.$/,
      },
      {
        name: '301 → badResponse naming the target',
        script: { status: 301, text: '', headers: { location: 'https://api.example/v1/images/generations' } },
        kind: 'badResponse',
        message: /^The server redirected the request \(301 to https:\/\/api\.example\/v1\/images\/generations\); set the base URL/,
      },
    ];
    for (const { name, script, kind, message } of cases) {
      test(name, async () => {
        const { options, waits } = harness(server);
        server.script({ ...script, headers: { 'x-request-id': 'req_case', ...script.headers } });
        await expectError(generateImages(seedRequest, options), kind, (error) => {
          assert.match(error.message, message);
          assert.equal(error.requestId, 'req_case');
          assert.equal(error.attempts, 1);
        });
        assert.equal(server.requests.length, 1);
        assert.deepEqual(waits, []);
      });
    }

    test("400 from the strict server → invalidRequest with the server's message and param", async () => {
      await expectError(generateImages({ ...seedRequest, size: '1000x1000' }, harness(server).options), 'invalidRequest', (error) => {
        assert.equal(error.message, "Invalid size '1000x1000': width and height must be multiples of 16.");
        assert.equal(error.param, 'size');
        assert.equal(error.status, 400);
        assert.equal(error.attempts, 1);
      });
    });
  });

  suite('retries', () => {
    for (const status of [408, 409, 429, 500, 502, 503]) {
      test(`${status} is retried, then succeeds`, async () => {
        const { options, waits, lines } = harness(server);
        server.script(oneError(status, null, 'try again'));
        const result = await generateImages(seedRequest, options);
        assert.equal(result.images.length, 1);
        assert.equal(server.requests.length, 2);
        assert.deepEqual(waits, [500]);
        // One line per decision, naming the rule (issue #11).
        const rule = new RegExp(`^Retrying: ${status} [A-Za-z ]+ answered in \\d+ ms \\(nothing was generated\\); attempt 2/3 in 500 ms$`);
        assert.ok(lines.some((line) => line.level === 'warn' && rule.test(line.text)), JSON.stringify(lines));
      });
    }

    test('429 three times → rateLimited after 3 attempts, backoff 0.5 s then 1 s', async () => {
      const { options, waits } = harness(server);
      const limited = oneError(429, 'rate_limit_exceeded', 'Rate limit reached for images per minute.', { headers: { 'x-request-id': 'req_429' } });
      server.script(limited, limited, limited);
      await expectError(generateImages(seedRequest, options), 'rateLimited', (error) => {
        assert.equal(error.attempts, 3);
        assert.equal(error.requestId, 'req_429');
        assert.equal(error.message, 'Rate limited (429) after 3 attempts: Rate limit reached for images per minute.');
      });
      assert.equal(server.requests.length, 3);
      assert.deepEqual(waits, [500, 1000]);
    });

    test('5xx three times → server; an HTML gateway page is excerpted', async () => {
      const { options } = harness(server);
      const page: FakeResponse = { status: 502, html: true };
      server.script(page, page, page);
      await expectError(generateImages(seedRequest, options), 'server', (error) => {
        assert.equal(error.status, 502);
        assert.equal(error.attempts, 3);
        assert.equal(error.excerpt, '502 Bad Gateway');
        assert.equal(error.message, 'The image service failed with status 502 after 3 attempts: "502 Bad Gateway".');
      });
    });

    test('maxRetries 0 → one attempt', async () => {
      server.script(oneError(503, null, 'overloaded'));
      await expectError(generateImages(seedRequest, harness(server, { maxRetries: 0 }).options), 'server', (error) => assert.equal(error.attempts, 1));
      assert.equal(server.requests.length, 1);
    });

    test('maxRetries 5 → six attempts with capped exponential waits', async () => {
      const { options, waits } = harness(server, { maxRetries: 5 });
      const failing = oneError(500, null, 'down');
      server.script(failing, failing, failing, failing, failing, failing);
      await expectError(generateImages(seedRequest, options), 'server', (error) => assert.equal(error.attempts, 6));
      assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000]);
    });

    test('x-should-retry: true makes an otherwise final status retryable', async () => {
      const { options } = harness(server);
      server.script(oneError(422, null, 'busy', { headers: { 'x-should-retry': 'true' } }));
      await generateImages(seedRequest, options);
      assert.equal(server.requests.length, 2);
    });

    test('retry-after-ms, retry-after seconds and an HTTP date set the wait', async () => {
      const { options, waits } = harness(server);
      server.script(
        oneError(429, null, 'slow down', { headers: { 'retry-after-ms': '750' } }),
        oneError(503, null, 'slow down', { headers: { 'retry-after': '2' } }),
      );
      await generateImages(seedRequest, options);
      assert.deepEqual(waits, [750, 2000]);

      const dated = harness(server);
      server.script(oneError(503, null, 'later', { headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } }));
      await generateImages(seedRequest, dated.options);
      assert.equal(dated.waits.length, 1);
      assert.ok(dated.waits[0] > 28_000 && dated.waits[0] <= 30_000, String(dated.waits[0]));

      const tooLong = harness(server);
      server.script(oneError(503, null, 'much later', { headers: { 'retry-after': '3600' } }));
      await generateImages(seedRequest, tooLong.options);
      assert.deepEqual(tooLong.waits, [500], 'over 60 s falls back to backoff');
    });

    test('a socket reset mid-body after a 200 is a network error, not retried: the generation may be billed (issue #9, F4)', async () => {
      const { options, lines } = harness(server);
      server.script({ resetAfterBytes: 40, headers: { 'x-request-id': 'req_cut' } });
      await expectError(generateImages(seedRequest, options), 'network', (error) => {
        assert.equal(error.attempts, 1);
        assert.equal(error.status, 200);
        assert.equal(error.requestId, 'req_cut');
        assert.match(
          error.message,
          /^The connection broke after the server answered 200 \(the connection was closed unexpectedly \(UND_ERR_SOCKET\)\); the images may already have been generated and charged, so it was not retried automatically\.$/,
        );
      });
      assert.equal(server.requests.length, 1);
      assert.ok(lines.some((line) => /→ 200, then the connection was closed unexpectedly .* \(attempt 1\/3\)$/.test(line.text)), JSON.stringify(lines));
      assert.ok(!lines.some((line) => /Retrying/.test(line.text)), JSON.stringify(lines));
    });

    test('a 503 cut off mid-body is still retried: nothing was generated', async () => {
      const { options } = harness(server);
      server.script({ status: 503, error: { message: 'busy', type: 'server_error' }, resetAfterBytes: 10 });
      const result = await generateImages(seedRequest, options);
      assert.equal(result.images.length, 1);
      assert.equal(server.requests.length, 2);
    });

    test('a quick 502 cut off on every attempt → network after 3 attempts, saying the server answered', async () => {
      const reset: FakeResponse = { status: 502, error: { message: 'bad gateway', type: 'server_error' }, resetAfterBytes: 10, headers: { 'x-request-id': 'req_reset' } };
      server.script(reset, reset, reset);
      await expectError(generateImages(seedRequest, harness(server).options), 'network', (error) => {
        assert.equal(error.attempts, 3);
        assert.equal(error.requestId, 'req_reset');
        assert.equal(error.status, 502);
        assert.equal(error.message, 'The server answered 502, then the connection was closed unexpectedly (UND_ERR_SOCKET) (3 attempts).');
      });
    });

    test('connection refused → network, retried', async () => {
      const closed = await startFakeImageServer();
      const baseUrl = closed.baseUrl;
      await closed.close();
      const { options, waits } = harness(server, { baseUrl });
      await expectError(generateImages(seedRequest, options), 'network', (error) => {
        assert.equal(error.attempts, 3);
        assert.match(error.message, /the connection was refused \(ECONNREFUSED\)/);
      });
      assert.deepEqual(waits, [500, 1000]);
    });
  });

  suite('timeouts', () => {
    test('slow headers → timeout per attempt, not retried: the request was sent and may be billed (issue #11)', async () => {
      const { options, waits } = harness(server, { timeoutMs: 150, maxRetries: 1 });
      server.script({ delayMs: 2000 }, { delayMs: 2000 });
      const started = Date.now();
      await expectError(generateImages(seedRequest, options), 'timeout', (error) => {
        assert.equal(error.attempts, 1);
        assert.equal(error.mayBeCharged, true);
        assert.equal(
          error.message,
          'The image service did not answer within 150 ms after the request was sent; the images may already have been generated and charged, so it was not retried automatically.',
        );
      });
      assert.ok(Date.now() - started < 1500, 'stopped at the timeout, not at the server delay');
      assert.equal(server.requests.length, 1);
      assert.deepEqual(waits, []);
    });

    test('a slow body counts against the same per-attempt timeout', async () => {
      const { options } = harness(server, { timeoutMs: 300, maxRetries: 0 });
      server.script({ chunkSize: 64, chunkDelayMs: 100 });
      await expectError(generateImages(seedRequest, options), 'timeout', (error) => assert.equal(error.status, 200));
    });

    test('a slow body within the timeout is fine', async () => {
      server.script({ chunkSize: 256, chunkDelayMs: 5 });
      const result = await generateImages(seedRequest, harness(server, { timeoutMs: 5000 }).options);
      assert.deepEqual(result.images[0].bytes, sizedPng(1024, 1024));
    });
  });

  suite('cancellation', () => {
    test('an already aborted signal sends nothing', async () => {
      const controller = new AbortController();
      controller.abort();
      await expectError(generateImages(seedRequest, harness(server).options, controller.signal), 'cancelled', (error) => {
        assert.equal(error.attempts, 0);
        assert.equal(error.message, 'Generation cancelled.');
      });
      assert.equal(server.requests.length, 0);
    });

    test('abort while waiting for headers stops at once and is not retried', async () => {
      const controller = new AbortController();
      server.script({ delayMs: 5000 });
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      await expectError(generateImages(seedRequest, harness(server).options, controller.signal), 'cancelled', (error) => assert.equal(error.attempts, 1));
      assert.ok(Date.now() - started < 1000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(server.requests.length, 1);
    });

    test('abort while reading a slow body', async () => {
      const controller = new AbortController();
      server.script({ chunkSize: 32, chunkDelayMs: 100 });
      setTimeout(() => controller.abort(), 150);
      await expectError(generateImages(seedRequest, harness(server).options, controller.signal), 'cancelled');
      assert.equal(server.requests.length, 1);
    });

    test('abort during the backoff sleep → cancelled, no further attempt', async () => {
      const controller = new AbortController();
      server.script(oneError(503, null, 'busy'));
      const options: ClientOptions = {
        ...harness(server).options,
        sleep: (ms, signal) => {
          setTimeout(() => controller.abort(), 20);
          return abortableSleep(ms, signal);
        },
      };
      const started = Date.now();
      await expectError(generateImages(seedRequest, options, controller.signal), 'cancelled', (error) => assert.equal(error.attempts, 1));
      assert.ok(Date.now() - started < 400, 'did not wait out the 500 ms backoff');
      assert.equal(server.requests.length, 1);
    });

    test('the default sleep honours abort too', async () => {
      const controller = new AbortController();
      server.script(oneError(503, null, 'busy', { headers: { 'retry-after': '30' } }));
      const { sleep: _ignored, ...withoutSleep } = harness(server).options;
      setTimeout(() => controller.abort(), 150);
      const started = Date.now();
      await expectError(generateImages(seedRequest, withoutSleep, controller.signal), 'cancelled');
      assert.ok(Date.now() - started < 1000);
      assert.equal(server.requests.length, 1);
    });
  });

  suite('bad responses', () => {
    const cases: { name: string; script: FakeResponse; message: RegExp; excerpt?: string }[] = [
      { name: 'invalid base64', script: { invalidBase64: true }, message: /^The image in the response is not valid base64\.$/ },
      {
        name: 'truncated JSON',
        script: { truncatedJson: true },
        // What broke, never the base64 it broke in (issue #11).
        message: /^The server answered 200, but the answer broke off after \d+ (bytes|KB): the JSON is incomplete; the images may already/,
      },
      {
        name: 'an HTML page with status 200',
        script: { status: 200, html: '<!DOCTYPE html>\n<html><body>\n<h1>Welcome to the proxy</h1></body></html>' },
        message: /^The server answered 200 with an HTML page instead of JSON: "Welcome to the proxy"\.$/,
        excerpt: 'Welcome to the proxy',
      },
      {
        name: 'plain text',
        script: { status: 200, text: 'upstream connect error or disconnect/reset before headers\nsecond line' },
        message: /^The server answered 200 with plain text instead of JSON: "upstream connect error or disconnect\/reset before headers"\.$/,
        excerpt: 'upstream connect error or disconnect/reset before headers',
      },
      { name: 'an empty body', script: { status: 200, text: '' }, message: /^The server answered 200 with an empty body instead of JSON\.$/ },
      { name: 'empty data', script: { emptyData: true }, message: /^The server answered 200 but returned no images\.$/ },
      { name: 'no data', script: { json: { created: 1 } }, message: /^The server answered 200 without a "data" list of images\.$/ },
      {
        name: 'an error object with status 200',
        script: { json: { error: { message: 'upstream quota' } } },
        message: /^The server answered 200 with an error: upstream quota\.$/,
      },
      { name: 'an item with neither field', script: { json: { data: [{ foo: 1 }] } }, message: /^The image in the response has neither b64_json nor url\.$/ },
    ];
    for (const { name, script, message, excerpt } of cases) {
      test(`${name} → badResponse, not retried`, async () => {
        server.script({ ...script, headers: { 'x-request-id': 'req_bad' } });
        await expectError(generateImages(seedRequest, harness(server).options), 'badResponse', (error) => {
          assert.match(error.message, message);
          assert.equal(error.requestId, 'req_bad');
          assert.equal(error.attempts, 1);
          if (excerpt !== undefined) assert.equal(error.excerpt, excerpt);
          if (error.excerpt) assert.ok(error.excerpt.length <= 200);
        });
        assert.equal(server.requests.length, 1);
      });
    }

    test('a declared Content-Length over the cap fails before reading', async () => {
      await expectError(generateImages(seedRequest, harness(server, { maxResponseBytes: 100 }).options), 'badResponse', (error) =>
        assert.equal(error.message, "The server's response was larger than 100 bytes, so reading stopped (status 200)."),
      );
    });

    test('a streamed 300 MB body stops at the cap without buffering it', async () => {
      server.script({ hugeBytes: 300 * 1024 * 1024 });
      const before = process.memoryUsage().rss;
      const started = Date.now();
      await expectError(generateImages(seedRequest, harness(server, { maxResponseBytes: 8 * 1024 * 1024 }).options), 'badResponse', (error) => {
        assert.match(error.message, /larger than 8 MB/);
        assert.equal(error.attempts, 1);
      });
      const grown = process.memoryUsage().rss - before;
      assert.ok(grown < 120 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1048576)} MB`);
      assert.ok(Date.now() - started < 3000, 'stopped early instead of reading 300 MB');
      assert.equal(server.requests.length, 1);
    });
  });
});
