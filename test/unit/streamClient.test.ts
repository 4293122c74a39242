import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { forgetNonStreamingBases, generateImagesStreaming, type PartialImage } from '../../src/core/api/streamClient';
import { ImageApiError } from '../../src/core/errors';
import { generateStreamed } from '../../src/core/streamedGeneration';
import type { GenerationRequest } from '../../src/core/types';
import { crc32, startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { sizedPng } from '../fixtures/fixtureImages';
import type { StreamMode } from '../fixtures/fakeStream';

const key = 'sk-test-STREAM-0123456789abcdef';
const request: GenerationRequest = { model: 'gpt-image-2', prompt: 'A lighthouse', n: 1, size: '1024x1024', quality: 'low' };

suite('streaming client: previews and the fallback tree through real HTTP (issue #14)', () => {
  let server: FakeImageServer;
  const lines: string[] = [];
  const options = () => ({
    baseUrl: server.baseUrl,
    apiKey: key,
    sleep: async () => {},
    logger: { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) },
  });
  const run = async (mode: StreamMode | undefined, partialImages = 2) => {
    if (mode) server.script({ stream: { mode } });
    const partials: PartialImage[] = [];
    const result = await generateImagesStreaming(request, options(), { partialImages, onPartial: (p) => partials.push(p) });
    return { result, partials };
  };

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(() => server.close());
  setup(() => {
    server.reset();
    forgetNonStreamingBases();
  });
  teardown(() => assert.ok(lines.every((line) => !line.includes(key)), 'the key is never logged'));

  test('previews arrive before the final image; the request says stream and partial_images', async () => {
    const { result, partials } = await run(undefined, 2);
    assert.equal(result.streamed, true);
    assert.equal(partials.length, 2);
    assert.deepEqual(partials.map((p) => p.index), [0, 1]);
    assert.ok(partials.every((p) => p.format === 'png'));
    assert.ok(!partials[0]!.bytes.equals(result.images[0]!.bytes), 'a preview is not the final image');
    assert.equal(result.images.length, 1);
    assert.equal(result.usage?.output_tokens, 1056 + 200);
    const sent = server.requests[0]!.json as Record<string, unknown>;
    assert.equal(sent.stream, true);
    assert.equal(sent.partial_images, 2);
    assert.match(String(server.requests[0]!.headers.accept), /text\/event-stream/);
  });

  test('a relay without event names that sends partial_image_b64', async () => {
    const { result, partials } = await run('alias', 1);
    assert.equal(partials.length, 1);
    assert.equal(result.images.length, 1);
  });

  test('a relay that ignores stream and answers JSON: parsed as a normal answer', async () => {
    const { result, partials } = await run('ignore');
    assert.equal(result.streamed, false);
    assert.equal(partials.length, 0);
    assert.equal(result.images.length, 1);
    assert.equal(server.requests.length, 1);
  });

  test('400 about streaming: resent once without it, and the base URL is remembered', async () => {
    const { result } = await run('reject');
    assert.equal(result.streamed, false);
    assert.equal(server.requests.length, 2);
    assert.equal((server.requests[1]!.json as Record<string, unknown>).stream, undefined, 'the resend has no stream');
    await run(undefined);
    assert.equal(server.requests.length, 3, 'the next generation goes without streaming at once');
    assert.equal((server.requests[2]!.json as Record<string, unknown>).stream, undefined);
  });

  test('a 400 about something else is not a streaming problem: no resend', async () => {
    server.script({ status: 400, error: { message: 'Invalid size.', param: 'size', code: 'invalid_value' } });
    await assert.rejects(generateImagesStreaming(request, options(), { partialImages: 1 }), (error: unknown) => error instanceof ImageApiError && error.kind === 'invalidRequest');
    assert.equal(server.requests.length, 1);
  });

  test('a stream reset after 200 is not retried (probably billed), and says so; the preview had arrived', async () => {
    const partials: PartialImage[] = [];
    server.script({ stream: { mode: 'reset' } });
    await assert.rejects(generateImagesStreaming(request, options(), { partialImages: 2, onPartial: (p) => partials.push(p) }), (error: unknown) => {
      assert.ok(error instanceof ImageApiError);
      assert.equal(error.kind, 'network');
      assert.match(error.message, /stream (broke|ended) after 1 preview/);
      assert.match(error.message, /charged, so it was not retried/);
      return true;
    });
    assert.equal(partials.length, 1);
    assert.equal(server.requests.length, 1, 'no automatic retry');
  });

  test('a reset after the request was sent, before any answer, is not retried: one POST, may have been charged (issue #11)', async () => {
    // A raw server that reads the whole request and then resets the connection without answering.
    let posts = 0;
    const raw = net.createServer((socket) => {
      let seen = '';
      socket.on('data', (chunk) => {
        seen += chunk.toString('latin1');
        if (seen.includes('\r\n\r\n') && seen.includes('"prompt"')) {
          posts++;
          socket.resetAndDestroy();
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        generateImagesStreaming(request, { ...options(), baseUrl: `http://127.0.0.1:${port}/v1` }, { partialImages: 1 }),
        (error: unknown) => error instanceof ImageApiError && error.mayBeCharged === true && /may already have been generated and charged/.test(error.message),
      );
      assert.equal(posts, 1, 'the stream path never re-POSTs a request that may have been billed');
    } finally {
      raw.close();
    }
  });

  test('event: error fails the generation without a retry', async () => {
    server.script({ stream: { mode: 'error' } });
    await assert.rejects(generateImagesStreaming(request, options(), { partialImages: 1 }), /upstream image worker crashed/);
    assert.equal(server.requests.length, 1);
  });

  test('a 500 before the stream started is retried like any request', async () => {
    server.script({ status: 500, error: { message: 'busy', type: 'server_error' } });
    const result = await generateImagesStreaming(request, options(), { partialImages: 1 });
    assert.equal(result.streamed, true);
    assert.equal(server.requests.length, 2);
  });

  test('a stream that never closes: done at completed', async () => {
    const started = Date.now();
    const { result } = await run('never-close', 1);
    assert.equal(result.images.length, 1);
    assert.ok(Date.now() - started < 5000);
  });

  test('10,000 previews: at most three delivered, the image still arrives', async () => {
    const { result, partials } = await run('many-partials', 3);
    assert.equal(partials.length, 3);
    assert.equal(result.images.length, 1);
  });

  test('a 100 MB preview is skipped unread; the final image is saved', async () => {
    const before = process.memoryUsage().rss;
    const { result, partials } = await run('huge-partial', 1);
    assert.equal(partials.length, 0);
    assert.equal(result.images.length, 1);
    assert.ok(process.memoryUsage().rss - before < 90 * 1024 * 1024, 'the 100 MB event was not held');
  });

  test('previews and a second image after completed are ignored: one image for n = 1', async () => {
    const { result, partials } = await run('after-completed', 1);
    assert.equal(result.images.length, 1);
    assert.equal(partials.length, 1);
  });

  test('review #14: a preview whose header claims 60000x60000 pixels is not handed to the webview', async () => {
    const bomb = Buffer.from(sizedPng(64, 64, 2));
    bomb.writeUInt32BE(60000, 16);
    bomb.writeUInt32BE(60000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    const good = sizedPng(64, 64, 3);
    const event = (type: string, image: Buffer): string => `event: ${type}\ndata: ${JSON.stringify({ type, b64_json: image.toString('base64') })}\n\n`;
    const raw = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(event('image_generation.partial_image', bomb) + event('image_generation.partial_image', good) + event('image_generation.completed', sizedPng(256, 256, 4)));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as net.AddressInfo;
      const partials: PartialImage[] = [];
      const result = await generateImagesStreaming(request, { ...options(), baseUrl: `http://127.0.0.1:${port}/v1` }, { partialImages: 2, onPartial: (p) => partials.push(p) });
      assert.equal(result.images.length, 1);
      assert.equal(partials.length, 1, 'only the plausible preview');
      assert.ok(partials[0]!.bytes.equals(good));
    } finally {
      await new Promise((resolve) => raw.close(resolve));
    }
  });

  test('n = 3 is three parallel single streams, each with its own previews', async () => {
    const seen = new Map<number, number>();
    const result = await generateStreamed({ ...request, n: 3 }, options(), {
      partialImages: 1,
      onPartial: (imageIndex) => seen.set(imageIndex, (seen.get(imageIndex) ?? 0) + 1),
    });
    assert.equal(result.images.length, 3);
    assert.equal(result.usages.length, 3);
    assert.deepEqual([...seen.keys()].sort(), [0, 1, 2]);
    assert.equal(server.requests.length, 3);
    assert.ok(server.requests.every((r) => (r.json as { n: number }).n === 1));
    // Each stream is its own picture (numbered per stream by the fixture), so screenshots of a run
    // show n different images and a mix-up of tiles would be visible.
    const distinct = new Set(result.images.map((image) => image.bytes.toString('base64')));
    assert.equal(distinct.size, 3, 'three different final images');
  });

  test('one of three streams failing keeps the other two images', async () => {
    server.script({ stream: { mode: 'error' } });
    const result = await generateStreamed({ ...request, n: 3 }, options(), { partialImages: 1 });
    assert.equal(result.images.length, 2);
    assert.equal(result.failures.length, 1);
  });

  test('previews 0 or n > 1 send no stream', async () => {
    const result = await generateImagesStreaming(request, options(), { partialImages: 0 });
    assert.equal(result.streamed, false);
    assert.equal((server.requests[0]!.json as Record<string, unknown>).stream, undefined);
  });
});
