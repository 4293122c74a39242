import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { ImageApiError } from '../../src/core/errors';
import type { GenerationRequest } from '../../src/core/types';
import { largePng, makePng, smallPng, startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';

// How the body of a 200 answer becomes images: base64 decoded in place from the body bytes when the
// JSON is plain, the generic JSON.parse path (same results, same errors) whenever anything is unusual.
const request: GenerationRequest = { model: 'gpt-image-2', prompt: 'A lighthouse', n: 1, size: '1024x1024' };
/** A third image, 3x1 (its base64 needs padding): one answer holds one format, so all three are PNGs. */
const tinyPng = makePng(3, 1, () => [200, 40, 40]);

suite('client: images decoded from the response body', () => {
  let server: FakeImageServer;
  let options: ClientOptions;

  suiteSetup(async () => {
    server = await startFakeImageServer();
    options = { baseUrl: server.baseUrl, apiKey: 'sk-test-0123456789', maxRetries: 0 };
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  const answer = (text: string): void => server.script({ text, contentType: 'application/json' });

  test('several images, in order, with revised prompts, from a ~2 MB base64 each', async () => {
    const png = largePng();
    answer(
      JSON.stringify({
        created: 1,
        data: [
          { b64_json: png.toString('base64'), revised_prompt: 'first' },
          { revised_prompt: 'second', b64_json: smallPng().toString('base64') },
          { b64_json: tinyPng.toString('base64') },
        ],
        output_format: 'png',
      }),
    );
    const result = await generateImages({ ...request, n: 3 }, options);
    assert.deepEqual(
      result.images.map((image) => image.revisedPrompt),
      ['first', 'second', undefined],
    );
    assert.ok(result.images[0].bytes.equals(png));
    assert.ok(result.images[1].bytes.equals(smallPng()));
    assert.ok(result.images[2].bytes.equals(tinyPng));
    // Decoded in place: every image is a view into the one body buffer, not a copy of its own.
    const body = result.images[0].bytes.buffer;
    for (const image of result.images) {
      assert.equal(image.bytes.buffer, body, 'shares the body buffer');
      assert.ok(image.bytes.buffer.byteLength > image.bytes.length, 'a view into something larger');
    }
  });

  test('whitespace around the key, unpadded base64 and pretty-printed JSON', async () => {
    const b64 = tinyPng.toString('base64').replace(/=+$/, '');
    assert.notEqual(b64.length % 4, 0, 'really unpadded');
    answer(`{\n  "data": [\n    { "b64_json" :\t"${b64}" }\n  ]\n}`);
    const result = await generateImages(request, options);
    assert.ok(result.images[0].bytes.equals(tinyPng));
  });

  test('escaped slashes and escaped line breaks in the base64 still decode (generic path)', async () => {
    const b64 = smallPng().toString('base64');
    const escaped = `${b64.slice(0, 40)}\\n${b64.slice(40)}`.replace(/\//g, '\\/');
    answer(`{"data":[{"b64_json":"${escaped}"}]}`);
    const result = await generateImages(request, options);
    assert.ok(result.images[0].bytes.equals(smallPng()));
  });

  test('a b64_json outside data does not confuse it', async () => {
    const b64 = smallPng().toString('base64');
    answer(JSON.stringify({ meta: { b64_json: 'aGk=' }, data: [{ b64_json: b64 }], note: 'say "b64_json": "x"' }));
    const result = await generateImages(request, options);
    assert.equal(result.images.length, 1);
    assert.ok(result.images[0].bytes.equals(smallPng()));
  });

  for (const [name, value] of [
    ['base64url characters', `${smallPng().toString('base64url')}-_`],
    ['a character outside the alphabet', `${smallPng().toString('base64').slice(0, 100)}*${smallPng().toString('base64').slice(101)}`],
    ['a non-ASCII character', `${smallPng().toString('base64').slice(0, 100)}é${smallPng().toString('base64').slice(101)}`],
    ['padding in the middle', `aGk=${smallPng().toString('base64')}`],
    ['a length that cannot be base64', 'aGVsbG'.slice(0, 5)],
  ]) {
    test(`${name} → badResponse "not valid base64", as the generic path says`, async () => {
      answer(JSON.stringify({ data: [{ b64_json: value }] }));
      await assert.rejects(generateImages(request, options), (error: unknown) => {
        assert.ok(error instanceof ImageApiError);
        assert.equal(error.kind, 'badResponse');
        assert.match(error.message, /not valid base64/);
        return true;
      });
    });
  }

  test('a second, broken image leaves the first undecoded and the error is the generic one', async () => {
    const good = smallPng().toString('base64');
    answer(JSON.stringify({ data: [{ b64_json: good }, { b64_json: 'not*base64' }] }));
    await assert.rejects(generateImages({ ...request, n: 2 }, options), /Image 2 of 2 in the response is not valid base64/);
  });

  test('JSON broken after the base64 → "the JSON is incomplete", without quoting it', async () => {
    answer(`{"data":[{"b64_json":"${smallPng().toString('base64')}"}]`);
    await assert.rejects(generateImages(request, options), /broke off after \d+ KB: the JSON is incomplete/);
  });
});

// The body as the network delivers it: in pieces of any size (a key, an escape or a base64 quartet cut
// in two), with a Content-Length, without one (chunked) or with a wrong one. The base64 is checked
// while it arrives; results and errors must be those of the whole body at once.
interface RawAnswer {
  readonly status?: number;
  /** Content-Length: the body's (default), none (chunked) or a number to lie with. */
  readonly length?: 'true' | 'none' | number;
  readonly contentType?: string;
  readonly pieces: readonly Buffer[];
  /** Destroy the socket after the pieces instead of ending the response. */
  readonly cut?: boolean;
}

interface RawServer {
  readonly baseUrl: string;
  answer(answer: RawAnswer): void;
  close(): Promise<void>;
}

async function startRawServer(): Promise<RawServer> {
  const queue: RawAnswer[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void (async () => {
        const answer = queue.shift() ?? { status: 500, pieces: [Buffer.from('nothing scripted')] };
        const total = answer.pieces.reduce((sum, piece) => sum + piece.length, 0);
        const headers: Record<string, string> = { 'content-type': answer.contentType ?? 'application/json' };
        const length = answer.length ?? 'true';
        if (length !== 'none') headers['content-length'] = String(length === 'true' ? total : length);
        res.socket?.setNoDelay(true);
        res.writeHead(answer.status ?? 200, headers);
        res.flushHeaders();
        for (const piece of answer.pieces) {
          if (res.destroyed) return;
          // Raw socket writes: a lying Content-Length must reach the client as is.
          if (length === 'none') res.write(piece);
          else res.socket?.write(piece);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        if (answer.cut || length !== 'none') {
          if (answer.cut) res.socket?.destroy();
          else res.socket?.end();
        } else {
          res.end();
        }
      })();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    answer: (answer) => queue.push(answer),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Cuts `body` into pieces of the given sizes, over and over, and at each of `at` too. */
function piecesOf(body: Buffer, sizes: readonly number[], at: readonly number[] = []): Buffer[] {
  const cuts = new Set(at.filter((i) => i > 0 && i < body.length));
  for (let i = 0, k = 0; i < body.length; i += sizes[k++ % sizes.length]) cuts.add(i);
  const sorted = [...cuts, 0, body.length].sort((a, b) => a - b).filter((v, i, all) => i === 0 || v !== all[i - 1]);
  const pieces: Buffer[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) pieces.push(body.subarray(sorted[i], sorted[i + 1]));
  return pieces;
}

suite('client: the body in pieces, with and without Content-Length', () => {
  let server: RawServer;
  let options: ClientOptions;
  const step = 64 * 1024;
  const odd = [1, 3, 5, 4093, step + 1, 7, 100_003, step - 3];

  suiteSetup(async () => {
    server = await startRawServer();
    options = { baseUrl: server.baseUrl, apiKey: 'sk-test-0123456789', maxRetries: 0 };
  });
  suiteTeardown(() => server.close());

  const threeImages = (): { text: string; pngB64: string } => {
    const pngB64 = largePng().toString('base64');
    const text = `{ "created": 1, "data": [ { "b64_json" :  "${pngB64}", "revised_prompt": "first" },
      {"revised_prompt":"second","b64_json":\t"${smallPng().toString('base64')}"}, {"b64_json":"${tinyPng.toString('base64')}"} ] }`;
    return { text, pngB64 };
  };

  for (const length of ['true', 'none'] as const) {
    const name = length === 'true' ? 'with Content-Length' : 'chunked, no Content-Length';
    test(`${name}: keys, the colon, the quote and base64 quartets cut across pieces still decode`, async () => {
      const { text } = threeImages();
      const body = Buffer.from(text);
      const key = body.indexOf('"b64_json"');
      const start = body.indexOf('"', body.indexOf(':', key)) + 1;
      // Inside the key, between key and colon, right after the quote, mid-quartet at step edges.
      const at = [key + 4, key + 10, start - 1, start, start + 1, start + step - 1, start + step + 2, start + 3 * step + 1];
      server.answer({ length, pieces: piecesOf(body, odd, at) });
      const result = await generateImages({ ...request, n: 3 }, options);
      assert.ok(result.images[0].bytes.equals(largePng()));
      assert.ok(result.images[1].bytes.equals(smallPng()));
      assert.ok(result.images[2].bytes.equals(tinyPng));
      assert.deepEqual(
        result.images.map((image) => image.revisedPrompt),
        ['first', 'second', undefined],
      );
    });

    test(`${name}: a bad character deep inside a long base64 (a step checked while it arrived) → not valid base64`, async () => {
      const { pngB64 } = threeImages();
      for (const position of [step + 5, 5 * step, pngB64.length - 10]) {
        const bad = `${pngB64.slice(0, position)}*${pngB64.slice(position + 1)}`;
        server.answer({ length, pieces: piecesOf(Buffer.from(JSON.stringify({ data: [{ b64_json: bad }] })), odd) });
        await assert.rejects(generateImages(request, options), /The image in the response is not valid base64/, `at ${position}`);
      }
    });

    test(`${name}: an escape cut in two, deep inside the base64, takes the generic path and decodes`, async () => {
      const { pngB64 } = threeImages();
      const slash = pngB64.indexOf('/', 2 * step);
      const escaped = `${pngB64.slice(0, slash)}\\/${pngB64.slice(slash + 1)}`;
      const body = Buffer.from(`{"data":[{"b64_json":"${escaped}"}]}`);
      const backslash = body.indexOf('\\');
      server.answer({ length, pieces: piecesOf(body, odd, [backslash + 1]) });
      const result = await generateImages(request, options);
      assert.ok(result.images[0].bytes.equals(largePng()));
    });
  }

  test('chunked, no Content-Length: maxResponseBytes still stops the read with the same error', async () => {
    const { text } = threeImages();
    server.answer({ length: 'none', pieces: piecesOf(Buffer.from(text), odd) });
    await assert.rejects(generateImages({ ...request, n: 3 }, { ...options, maxResponseBytes: 1_000_000 }), (error: unknown) => {
      assert.ok(error instanceof ImageApiError);
      assert.equal(error.kind, 'badResponse');
      assert.match(error.message, /^The server's response was larger than 977 KB, so reading stopped \(status 200\)\.$/);
      return true;
    });
  });

  test('chunked, no Content-Length: an error page is read up to 64 KB and still explained', async () => {
    const page = Buffer.from(`<!DOCTYPE html><html><head><title>Bad gateway</title></head><body>${'x'.repeat(300_000)}</body></html>`);
    server.answer({ status: 502, length: 'none', contentType: 'text/html', pieces: piecesOf(page, odd) });
    await assert.rejects(generateImages(request, options), (error: unknown) => {
      assert.ok(error instanceof ImageApiError);
      assert.equal(error.kind, 'server');
      assert.match(error.message, /status 502: "Bad gateway"\./);
      return true;
    });
  });

  test('a Content-Length shorter than the body: only the declared bytes are read → incomplete JSON', async () => {
    const { text } = threeImages();
    const body = Buffer.from(text);
    server.answer({ length: body.length - 100, pieces: piecesOf(body, odd) });
    await assert.rejects(generateImages({ ...request, n: 3 }, options), /the JSON is incomplete/);
  });

  test('a Content-Length longer than the body, then the connection closes → network error', async () => {
    const { text } = threeImages();
    const body = Buffer.from(text);
    server.answer({ length: body.length + 100_000, pieces: piecesOf(body, odd), cut: true });
    await assert.rejects(generateImages({ ...request, n: 3 }, options), (error: unknown) => {
      assert.ok(error instanceof ImageApiError);
      assert.equal(error.kind, 'network');
      return true;
    });
  });
});
