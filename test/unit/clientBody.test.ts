import * as assert from 'node:assert/strict';
import { generateImages, type ClientOptions } from '../../src/core/client';
import { ImageApiError } from '../../src/core/errors';
import type { GenerationRequest } from '../../src/core/types';
import { largePng, smallPng, startFakeImageServer, tinyJpeg, type FakeImageServer } from '../fixtures/fakeImageServer';

// How the body of a 200 answer becomes images: base64 decoded in place from the body bytes when the
// JSON is plain, the generic JSON.parse path (same results, same errors) whenever anything is unusual.
const request: GenerationRequest = { model: 'gpt-image-2', prompt: 'A lighthouse', n: 1, size: '1024x1024' };

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
          { b64_json: tinyJpeg.toString('base64') },
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
    assert.ok(result.images[2].bytes.equals(tinyJpeg));
    // Decoded in place: every image is a view into the one body buffer, not a copy of its own.
    const body = result.images[0].bytes.buffer;
    for (const image of result.images) {
      assert.equal(image.bytes.buffer, body, 'shares the body buffer');
      assert.ok(image.bytes.buffer.byteLength > image.bytes.length, 'a view into something larger');
    }
  });

  test('whitespace around the key, unpadded base64 and pretty-printed JSON', async () => {
    const b64 = Buffer.from('hello').toString('base64').replace(/=+$/, '');
    answer(`{\n  "data": [\n    { "b64_json" :\t"${b64}" }\n  ]\n}`);
    const result = await generateImages(request, options);
    assert.equal(result.images[0].bytes.toString(), 'hello');
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

  test('JSON broken after the base64 → the generic "instead of JSON" error', async () => {
    answer(`{"data":[{"b64_json":"${smallPng().toString('base64')}"}]`);
    await assert.rejects(generateImages(request, options), /incomplete or malformed JSON/);
  });
});
