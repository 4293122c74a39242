import * as assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Agent } from 'undici';
import { internalRange, type Lookup } from '../../src/core/api/addressPolicy';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { describeError } from '../../src/core/errorMessages';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import { generateAndSave } from '../../src/core/engine';
import type { GenerationRequest, Logger } from '../../src/core/types';
import {
  largePng,
  smallPng,
  startFakeImageServer,
  tinyJpeg,
  tinyPng,
  tinyWebp,
  type FakeImageServer,
  type KeyEcho,
  type KeyForm,
} from '../fixtures/fakeImageServer';
import { sizedPng } from '../fixtures/fixtureImages';
import { testCertificates } from '../fixtures/tls/testCertificates';
import { assertNoLink } from './linkPattern';

// Issue #9, parts 2–5 and "also decide": what a hostile or broken server can no longer make the client
// do. Every test talks to the real fixture server on 127.0.0.1.

const key = 'sk-hostile-SECRET-0123456789abcdefXYZ';
const cat: GenerationRequest = { model: 'gpt-image-2', prompt: 'A cat', n: 1, size: '1024x1024' };

interface Run {
  readonly options: ClientOptions;
  readonly lines: string[];
  readonly waits: number[];
}

function run(server: FakeImageServer, extra: Partial<ClientOptions> = {}): Run {
  const lines: string[] = [];
  const waits: number[] = [];
  const logger: Logger = { info: (line) => lines.push(line), warn: (line) => lines.push(line), error: (line) => lines.push(line) };
  return {
    lines,
    waits,
    options: {
      baseUrl: server.baseUrl,
      apiKey: key,
      logger,
      random: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...extra,
    },
  };
}

async function fails(promise: Promise<unknown>, kind: ImageErrorKind, message?: RegExp): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, `expected ImageApiError, got ${String(error)}`);
    assert.equal(error.kind, kind, `kind of "${error.message}"`);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected an ImageApiError of kind ${kind}`);
}

/** A DNS with fixed answers: names under `.test` that resolve nowhere else. */
function fakeDns(answers: Record<string, readonly string[]>): Lookup {
  return async (hostname) => {
    const answer = answers[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

/**
 * The fixture plays a public API: 127.0.0.1 counts as public, every other internal address stays
 * internal. So the base URL is not a local relay and the strict rules apply, while the fixture's own
 * files stay reachable.
 */
const loopbackIsPublic = (address: string): string | undefined => (address === '127.0.0.1' ? undefined : internalRange(address));

suite('client against a hostile server (issue #9)', () => {
  let server: FakeImageServer;
  /** A second server on another port: what a response must not make the client talk to. */
  let bystander: FakeImageServer;

  suiteSetup(async () => {
    [server, bystander] = await Promise.all([startFakeImageServer({ requireKey: key }), startFakeImageServer()]);
  });
  suiteTeardown(async () => {
    await Promise.all([server.close(), bystander.close()]);
  });
  setup(() => {
    server.reset();
    bystander.reset();
  });

  const downloads = (): number => server.requests.filter((request) => request.method === 'GET').length;

  suite('part 2: the server does not decide how many images, bytes and seconds', () => {
    test('n: 1 answered with 10,000 images → badResponse, nothing decoded', async () => {
      server.script({ imageCount: 10_000, imageBytes: tinyPng() });
      await fails(generateImages(cat, run(server).options), 'badResponse', /^The server answered with 10000 images but 1 was asked for, so none were saved\.$/);
    });

    test('n: 2 answered with 3 → refused; n: 3 answered with 2 → the 2 are kept', async () => {
      server.script({ imageCount: 3 });
      await fails(generateImages({ ...cat, n: 2 }, run(server).options), 'badResponse', /3 images but 2 were asked for/);
      server.script({ imageCount: 2 });
      assert.equal((await generateImages({ ...cat, n: 3 }, run(server).options)).images.length, 2);
    });

    test('10,000 url items → refused before a single download', async () => {
      server.script({ imageCount: 10_000, delivery: 'url', imageBytes: tinyPng() });
      await fails(generateImages(cat, run(server).options), 'badResponse', /10000 images but 1 was asked for/);
      assert.equal(downloads(), 0);
    });

    test('more images than n never become more files: generateAndSave writes nothing', async () => {
      const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-hostile-'));
      try {
        server.script({ imageCount: 50 });
        await fails(generateAndSave(cat, run(server).options, { kind: 'assets', workspaceRoot: workspace, assetsFolder: 'assets' }), 'badResponse');
        const assets = await fs.readdir(path.join(workspace, 'assets')).catch(() => []);
        assert.deepEqual(assets, []);
      } finally {
        await fs.rm(workspace, { recursive: true, force: true });
      }
    });

    test('one byte budget for the answer and all its downloads: 3 × 2 MB over a 5 MB cap stops at the third', async () => {
      server.script({ delivery: 'url', large: true });
      const cap = 5 * 1024 * 1024;
      assert.ok(largePng().length * 2 < cap && largePng().length * 3 > cap, 'each download alone fits');
      await fails(
        generateImages({ ...cat, n: 3 }, run(server, { maxResponseBytes: cap }).options),
        'badResponse',
        /^The response and its image downloads were larger than 5 MB together, so reading stopped \(status 200\)\.$/,
      );
      assert.equal(downloads(), 3);
    });

    test('the JSON body counts too: a download that alone fits the cap, with the JSON, does not', async () => {
      const url = server.addFile('budget.png', largePng());
      server.script({ urls: [url] });
      await fails(generateImages(cat, run(server, { maxResponseBytes: largePng().length + 10 }).options), 'badResponse', /larger than .* together/);
      server.script({ urls: [url] });
      const fits = await generateImages(cat, run(server, { maxResponseBytes: largePng().length + 4096 }).options);
      assert.ok(fits.images[0].bytes.equals(largePng()));
    });

    test('one deadline per attempt, downloads included: 250 ms answer + 250 ms download > 400 ms → timeout', async () => {
      const url = server.addFile('slow.png', smallPng(), { delayMs: 250 });
      server.script({ delayMs: 250, urls: [url] });
      const started = Date.now();
      await fails(
        generateImages(cat, run(server, { timeoutMs: 400 }).options),
        'timeout',
        /^Downloading the image did not finish within 400 ms, the time allowed for the whole attempt\.$/,
      );
      assert.ok(Date.now() - started < 700, `stopped at the deadline, after ${Date.now() - started} ms`);
      assert.equal(server.requests.filter((request) => request.method === 'POST').length, 1, 'a download timeout is not retried (billed)');
    });

    test('the same answer and download within the deadline are fine', async () => {
      const url = server.addFile('quick.png', smallPng(), { delayMs: 50 });
      server.script({ delayMs: 50, urls: [url] });
      assert.ok((await generateImages(cat, run(server, { timeoutMs: 2000 }).options)).images[0].bytes.equals(smallPng()));
    });
  });

  suite('part 3: bytes that are not an image are refused, and the bytes pick the format', () => {
    test('b64_json holding HTML → badResponse naming what it is', async () => {
      server.script({ imageBytes: Buffer.from('<!DOCTYPE html><html><body>Sign in</body></html>') });
      await fails(generateImages(cat, run(server).options), 'badResponse', /^The image is not a PNG, JPEG or WebP image but an HTML page, so nothing was saved\.$/);
    });

    test('data:text/html;base64 in b64_json or in url → refused', async () => {
      const page = `data:text/html;base64,${Buffer.from('<html><script>alert(1)</script></html>').toString('base64')}`;
      server.script({ json: { created: 1, data: [{ b64_json: page }] } }, { json: { created: 1, data: [{ url: page }] } });
      await fails(generateImages(cat, run(server).options), 'badResponse', /not a PNG, JPEG or WebP image but an HTML page/);
      await fails(generateImages(cat, run(server).options), 'badResponse', /not a PNG, JPEG or WebP image but an HTML page/);
    });

    test('a data:image/png URL holding a JPEG is a JPEG', async () => {
      server.script({ json: { created: 1, data: [{ url: `data:image/png;base64,${tinyJpeg.toString('base64')}` }] } });
      assert.equal((await generateImages(cat, run(server).options)).outputFormat, 'jpeg');
    });

    test('a downloaded HTML page, served as image/png → refused', async () => {
      server.script({ delivery: 'url', imageBytes: Buffer.from('<html><title>Login</title></html>') });
      await fails(generateImages(cat, run(server).options), 'badResponse', /not a PNG, JPEG or WebP image but an HTML page/);
    });

    test('JPEG bytes under output_format "webp" → jpeg, logged, and saved as .jpg', async () => {
      server.script({ imageBytes: tinyJpeg, echoFormat: 'webp' });
      const { options, lines } = run(server);
      const result = await generateImages({ ...cat, outputFormat: 'webp' }, options);
      assert.equal(result.outputFormat, 'jpeg');
      assert.equal(result.images[0].format, 'jpeg');
      assert.ok(lines.some((line) => line === 'The server said output_format "webp" but the bytes are a JPEG: saved as a JPEG.'), lines.join('\n'));

      const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-hostile-'));
      try {
        server.script({ imageBytes: tinyJpeg, echoFormat: 'webp' });
        const saved = await generateAndSave({ ...cat, outputFormat: 'webp' }, options, { kind: 'assets', workspaceRoot: workspace, assetsFolder: 'assets' });
        assert.equal(path.extname(saved.files[0]), '.jpg');
      } finally {
        await fs.rm(workspace, { recursive: true, force: true });
      }
    });

    test('WebP bytes without any echo are webp; PNG bytes under "jpeg" are png', async () => {
      server.script({ imageBytes: tinyWebp, echoFormat: null }, { echoFormat: 'jpeg' });
      assert.equal((await generateImages(cat, run(server).options)).outputFormat, 'webp');
      assert.equal((await generateImages(cat, run(server).options)).outputFormat, 'png');
    });

    test('one answer mixing PNG and JPEG → refused (its files share one extension)', async () => {
      server.script({ json: { created: 1, data: [{ b64_json: smallPng().toString('base64') }, { b64_json: tinyJpeg.toString('base64') }] } });
      await fails(generateImages({ ...cat, n: 2 }, run(server).options), 'badResponse', /^Image 2 of 2 is a JPEG but image 1 is a PNG; one answer must not mix formats/);
    });
  });

  suite('part 4: url items cannot reach internal hosts', () => {
    test("the issue's example: another port on 127.0.0.1 over http → refused, never requested", async () => {
      const target = `${bystander.origin}/admin/reboot?confirm=1`;
      server.script({ urls: [target] });
      const error = await fails(generateImages(cat, run(server).options), 'badResponse', /is not https and not on the API's own address/);
      assert.ok(error.message.includes(`${bystander.origin}/admin/reboot`), error.message);
      assert.ok(!error.message.includes('confirm=1'), 'the query is not shown');
      assert.equal(bystander.requests.length, 0);
    });

    test('[internal-url]: the same machine under another name over http → refused', async () => {
      await fails(generateImages({ ...cat, prompt: 'A cat [internal-url]' }, run(server).options), 'badResponse', /http:\/\/localhost:\d+\/admin\/reboot\) is not https/);
      assert.equal(downloads(), 0);
    });

    test('other schemes are refused too', async () => {
      for (const url of ['ftp://127.0.0.1/x.png', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_FLUSHALL']) {
        server.script({ urls: [url] });
        await fails(generateImages(cat, run(server).options), 'badResponse', /is not https/);
      }
    });

    const internal: [string, RegExp][] = [
      ['https://127.0.0.2/x.png', /points to 127\.0\.0\.2 \(loopback address\)/],
      ['https://[::1]:8443/x.png', /points to ::1 \(loopback address\)/],
      ['https://169.254.169.254/latest/meta-data/', /points to 169\.254\.169\.254 \(link-local address\)/],
      ['https://[fe80::1]/x.png', /\(link-local address\)/],
      ['https://10.0.0.1/x.png', /\(private address\)/],
      ['https://192.168.1.1/x.png', /\(private address\)/],
      ['https://100.64.0.1/x.png', /\(CGNAT address\)/],
      ['https://[fd00::1]/x.png', /\(unique local address\)/],
      ['https://[::ffff:127.0.0.1]/x.png', /\(loopback address\)/],
      ['https://0.0.0.0/x.png', /\(unspecified address\)/],
      ['https://metadata.test/latest', /points to metadata\.test, which resolves to 169\.254\.169\.254 \(link-local address\)/],
      ['https://mixed.test/x.png', /points to mixed\.test, which resolves to 10\.0\.0\.7 \(private address\)/],
    ];
    const dns = fakeDns({ 'metadata.test': ['169.254.169.254'], 'mixed.test': ['93.184.216.34', '10.0.0.7'] });
    for (const [url, message] of internal) {
      test(`${url} → refused after DNS, nothing sent`, async () => {
        server.script({ urls: [url] });
        const error = await fails(generateImages(cat, run(server, { lookup: dns, internalRange: loopbackIsPublic }).options), 'badResponse', message);
        assert.match(error.message, /images are not downloaded from internal addresses other than the base URL's own host\.$/);
      });
    }

    test('a host that does not resolve → network error, not retried', async () => {
      server.script({ urls: ['https://nowhere.test/x.png'] });
      await fails(generateImages(cat, run(server, { lookup: fakeDns({}), internalRange: loopbackIsPublic }).options), 'network', /could not be resolved \(ENOTFOUND\)/);
      assert.equal(server.requests.length, 1);
    });

    test('strict rules still download from the API origin, through the pinned connection', async () => {
      server.script({ delivery: 'url' }, { delivery: 'relativeUrl' });
      for (let i = 0; i < 2; i++) {
        const result = await generateImages(cat, run(server, { lookup: fakeDns({}), internalRange: loopbackIsPublic }).options);
        assert.ok(result.images[0].bytes.equals(sizedPng(1024, 1024)));
      }
      assert.equal(downloads(), 2);
    });

    test('every redirect hop is checked: to an internal name, to http elsewhere, too many', async () => {
      const options = run(server, { lookup: dns, internalRange: loopbackIsPublic }).options;
      server.script({ urls: [server.addRedirect('to-metadata.png', 'https://metadata.test/latest/meta-data/iam')] });
      await fails(generateImages(cat, options), 'badResponse', /points to metadata\.test, which resolves to 169\.254\.169\.254/);
      server.script({ urls: [server.addRedirect('to-bystander.png', `${bystander.origin}/admin/reboot?confirm=1`)] });
      await fails(generateImages(cat, options), 'badResponse', /is not https and not on the API's own address/);
      assert.equal(bystander.requests.length, 0);
      const loop = server.addRedirect('loop.png', `${server.baseUrl}/files/loop.png`, 307);
      server.script({ urls: [loop] });
      await fails(generateImages(cat, options), 'badResponse', /^Downloading the image was redirected more than 3 times\.$/);
      assert.equal(downloads(), 2 + 4);
    });

    test('a redirect on the API origin is followed with the key; one to another origin drops it', async () => {
      const pki = testCertificates();
      const secure = await startFakeImageServer({ tls: { cert: pki.cert, key: pki.key } });
      // An injected dispatcher (as a proxy would be) that trusts the test CA: the names are still checked.
      const agent = new Agent({ connect: { ca: pki.ca } });
      try {
        const final = secure.addFile('final.webp', tinyWebp, { type: 'image/webp' });
        const hop2 = server.addRedirect('hop2.png', final);
        const hop1 = server.addRedirect('hop1.png', hop2, 301);
        server.script({ urls: [hop1] });
        const { options, lines } = run(server, { dispatcher: agent, lookup: fakeDns({}), internalRange: loopbackIsPublic });
        const result = await generateImages(cat, options);
        assert.ok(result.images[0].bytes.equals(tinyWebp));
        const hops = server.requests.filter((request) => request.method === 'GET');
        assert.deepEqual(hops.map((request) => request.headers.authorization), [`Bearer ${key}`, `Bearer ${key}`]);
        assert.equal(secure.requests.length, 1);
        assert.equal(secure.requests[0].headers.authorization, undefined, 'the key stays with the API origin');
        assert.ok(lines.some((line) => /^GET https:\/\/127\.0\.0\.1:\d+\/v1\/files\/final\.webp → 200 in \d+ ms \(the image, redirect 2\)$/.test(line)), lines.join('\n'));
      } finally {
        await agent.close();
        await secure.close();
      }
    });

    test('a base URL on an internal host (a local relay) may link to internal https hosts', async () => {
      const pki = testCertificates();
      const secure = await startFakeImageServer({ tls: { cert: pki.cert, key: pki.key } });
      const agent = new Agent({ connect: { ca: pki.ca } });
      try {
        server.script({ urls: [secure.addFile('relay.png', smallPng())] });
        // The default ranges: 127.0.0.1 is loopback, so the base URL is a local relay.
        const result = await generateImages(cat, run(server, { dispatcher: agent }).options);
        assert.ok(result.images[0].bytes.equals(smallPng()));
        // The same link from a public API: a name on the LAN is refused.
        const lan = new URL(secure.addFile('strict.png', smallPng()));
        lan.hostname = 'relay-lan.test';
        server.script({ urls: [lan.href] });
        const strict = run(server, { dispatcher: agent, internalRange: loopbackIsPublic, lookup: fakeDns({ 'relay-lan.test': ['192.168.1.20'] }) });
        await fails(generateImages(cat, strict.options), 'badResponse', /relay-lan\.test, which resolves to 192\.168\.1\.20 \(private address\)/);
        assert.equal(secure.requests.length, 1);
      } finally {
        await agent.close();
        await secure.close();
      }
    });
  });

  suite('part 5: the key is redacted from every server-derived field, before any cut, in any encoding', () => {
    /** Everything a user or the log can see of an error. */
    function visible(error: ImageApiError): string {
      return [error.message, error.code, error.param, error.requestId, error.excerpt, describeError(error, { action: 'Image generation' }).message].join('\n');
    }

    function assertNoKeyPart(text: string, what: string): void {
      for (let i = 0; i + 6 <= key.length; i++) assert.ok(!text.includes(key.slice(i, i + 6)), `${what}: "${key.slice(i, i + 6)}" in ${text}`);
      const forms = [Buffer.from(key).toString('base64'), encodeURIComponent(key), [...Buffer.from(key)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')];
      for (const form of forms) for (let i = 0; i + 12 <= form.length; i++) assert.ok(!text.includes(form.slice(i, i + 12)), `${what}: encoded part in ${text}`);
    }

    const echoes: [string, KeyEcho, ImageErrorKind][] = [
      ['error.param', { field: 'param' }, 'invalidRequest'],
      ['error.code', { field: 'code' }, 'invalidRequest'],
      ['x-request-id', { field: 'requestId' }, 'invalidRequest'],
      ['error.message', { field: 'message' }, 'invalidRequest'],
      ['error.message at the 1000-character cut', { field: 'message', at: 1000 - 'Invalid key '.length - 20 }, 'invalidRequest'],
    ];
    for (const form of ['raw', 'percent', 'base64', 'base64url', 'basic'] as KeyForm[]) {
      for (const [where, echo, kind] of echoes) {
        test(`${where}, ${form}`, async () => {
          server.script({ echoKey: { ...echo, form } });
          const { options, lines } = run(server);
          const error = await fails(generateImages(cat, options), kind);
          assertNoKeyPart(visible(error), where);
          assertNoKeyPart(lines.join('\n'), `${where} in the log`);
        });
      }
    }

    for (const at of [8192 - 40, 8192 - 20, 8192 - 2, 8192, 8192 + 2, 8192 + 30]) {
      test(`a plain-text body with the key at character ${at}, across the 8 KB excerpt window`, async () => {
        server.script({ echoKey: { field: 'body', at }, headers: { 'x-should-retry': 'false' } });
        const error = await fails(generateImages(cat, run(server).options), 'server');
        assertNoKeyPart(visible(error), `key at ${at}`);
      });
    }

    for (const at of [170, 190, 199, 200, 210]) {
      test(`a Location with the key at character ${at}, across the 200-character cut`, async () => {
        server.script({ echoKey: { field: 'location', at } });
        const error = await fails(generateImages(cat, run(server).options), 'badResponse', /^The server redirected the request \(302 to https:\/\/relay\.example\//);
        assertNoKeyPart(visible(error), `key at ${at}`);
      });
    }

    test('[echo-key]: the key in param and x-request-id of a real 400', async () => {
      const error = await fails(generateImages({ ...cat, prompt: 'A cat [echo-key]' }, run(server).options), 'invalidRequest');
      assert.equal(error.param, '***');
      assert.equal(error.requestId, '***');
      assertNoKeyPart(visible(error), 'echo-key');
    });

    test('a 200 with the key in x-request-id and revised_prompt: the result carries neither', async () => {
      server.script({
        headers: { 'x-request-id': `req_${key}` },
        json: { created: 1, data: [{ b64_json: smallPng().toString('base64'), revised_prompt: `A cat (key ${Buffer.from(key).toString('base64')})` }] },
      });
      const { options, lines } = run(server);
      const result = await generateImages(cat, options);
      assert.equal(result.requestId, 'req_***');
      assertNoKeyPart(result.images[0].revisedPrompt ?? '', 'revised prompt');
      assertNoKeyPart(lines.join('\n'), 'log');
    });

    test('the key in an image URL, percent-encoded, is not in the message or the log', async () => {
      server.script({ urls: [`${bystander.origin}/x?token=${encodeURIComponent(key)}`, `ftp://x/${encodeURIComponent(key)}/y`] });
      const { options, lines } = run(server);
      const error = await fails(generateImages({ ...cat, n: 2 }, options), 'badResponse');
      assertNoKeyPart(visible(error), 'URL');
      assertNoKeyPart(lines.join('\n'), 'log');
    });

    test('[link]: link syntax in message, param and code never becomes a link', async () => {
      const error = await fails(generateImages({ ...cat, prompt: 'A cat [link]' }, run(server).options), 'invalidRequest');
      assertNoLink(describeError(error, { action: 'Image generation' }).message, '[link]');
    });
  });

  suite('also decided', () => {
    test('Retry-After: 0 is no hint: the client backs off instead of hammering', async () => {
      const { options, waits } = run(server, { maxRetries: 10 });
      const busy = { status: 503, error: { message: 'busy', type: 'server_error' }, headers: { 'retry-after': '0' } };
      server.script(busy, busy, busy);
      await generateImages(cat, options);
      assert.deepEqual(waits, [500, 1000, 2000]);
      assert.equal(server.requests.length, 4);
    });
  });
});
