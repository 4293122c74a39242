import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { Lookup } from '../../src/core/api/addressPolicy';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { imagesEndpoint } from '../../src/core/api/request';
import { extractImages } from '../../src/core/api/base64Images';
import { usageOf } from '../../src/core/api/imageResult';
import { ImageApiError } from '../../src/core/errors';
import type { GenerationRequest, Logger } from '../../src/core/types';
import { tinyPng } from '../fixtures/fakeImageServer';

// Issue #9, review findings F1–F9 (a hostile or broken server): each test talks to a plain loopback
// server written for it, so the exact bytes on the wire are the test's own.

const key = 'sk-hostile-SECRET-0123456789abcdefXYZ';
const req = (n = 1): GenerationRequest => ({ model: 'gpt-image-2', prompt: 'A cat', n, size: '1024x1024' });
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Server {
  readonly base: string;
  readonly port: number;
  /** POSTs received so far: each one is a generation billed. */
  posts: number;
  /** Request paths, in order. */
  readonly paths: string[];
  close(): Promise<void>;
}

async function serve(handler: Handler): Promise<Server> {
  const server = http.createServer((rq, rs) => {
    if (rq.method === 'POST') state.posts++;
    state.paths.push(rq.url ?? '');
    rq.resume();
    rq.on('end', () => handler(rq, rs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const state: Server = {
    base: `http://127.0.0.1:${port}/v1`,
    port,
    posts: 0,
    paths: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function opts(server: Server, extra: Partial<ClientOptions> = {}): ClientOptions {
  return { baseUrl: server.base, apiKey: key, maxRetries: 0, random: () => 0, sleep: async () => undefined, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, String(error));
    return error;
  }
  return assert.fail('expected a rejection');
}

/** Settles with `promise`'s error kind, or with `late` if it has not settled within `ms`. */
function kindWithin(promise: Promise<unknown>, ms: number, late: string): Promise<string> {
  return Promise.race([failure(promise).then((error) => error.kind), new Promise<string>((resolve) => setTimeout(() => resolve(late), ms))]);
}

const png = (): string => tinyPng().toString('base64');
const never: Lookup = () => new Promise(() => undefined);

suite('Client: review findings of issue #9 (F1–F4, F9)', () => {
  let s: Server | undefined;
  teardown(async () => {
    await s?.close();
    s = undefined;
  });

  test('F4: a 200 whose body stalls is not POSTed again; timeout says the images may be charged; one byte budget', async () => {
    s = await serve((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.write(`{"data":[{"b64_json":"${'A'.repeat(900)}`); // …then nothing
    });
    const lines: string[] = [];
    const logger: Logger = { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) };
    const e = await failure(generateImages(req(), opts(s, { timeoutMs: 300, maxRetries: 2, maxResponseBytes: 1000, logger })));
    assert.equal(s.posts, 1, `${s.posts} POSTs for one generation`);
    assert.equal(e.kind, 'timeout');
    assert.equal(e.status, 200);
    assert.equal(e.attempts, 1);
    assert.match(e.message, /answered 200 but did not send the whole response within 300 ms/);
    assert.match(e.message, /may already have been generated and charged, so it was not retried automatically/);
    assert.ok(!lines.some((l) => /Retrying/.test(l)), lines.join('\n'));
  });

  test('F4: a 200 whose connection resets after its Content-Length is not POSTed again (network)', async () => {
    s = await serve((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      r.write('{"data":[{"b64_json":"');
      setTimeout(() => r.socket?.destroy(), 20);
    });
    const e = await failure(generateImages(req(), opts(s, { maxRetries: 2 })));
    assert.equal(s.posts, 1, `${s.posts} POSTs after a 200`);
    assert.equal(e.kind, 'network');
    assert.match(e.message, /^The connection broke after the server answered 200 .*may already have been generated and charged/);
  });

  test('F4: a 503 before a status line is retried; a reset after the request arrived is not (issue #11: it may be billed)', async () => {
    let posts = 0;
    s = await serve((_q, r) => {
      posts++;
      if (posts === 1) return json(r, 503, { error: { message: 'busy' } });
      if (posts === 2) {
        r.socket?.destroy();
        return;
      }
      json(r, 200, { data: [{ b64_json: png() }] });
    });
    const e = await failure(generateImages(req(), opts(s, { maxRetries: 2 })));
    assert.equal(s.posts, 2, 'the 503 was retried once; the reset was not');
    assert.equal(e.kind, 'network');
    assert.equal(e.attempts, 2);
    assert.equal(e.mayBeCharged, true);
    assert.match(e.message, /broke after the request was sent, before any answer .*may already have been generated and charged/);
  });

  test('F4: the byte budget is one per generation: a 503 body is not drawn from it, the 200 and its download share it', async () => {
    const image = tinyPng();
    let posts = 0;
    s = await serve((q, r) => {
      if (q.method === 'GET') {
        r.writeHead(200, { 'content-type': 'image/png' });
        r.end(image);
        return;
      }
      posts++;
      if (posts === 1) return json(r, 503, { error: { message: 'x'.repeat(500) } });
      json(r, 200, { data: [{ url: '/files/a.png' }] });
    });
    const body = JSON.stringify({ data: [{ url: '/files/a.png' }] });
    const enough = body.length + image.length;
    assert.equal((await generateImages(req(), opts(s, { maxRetries: 1, maxResponseBytes: enough }))).images.length, 1);
    posts = 0;
    const e = await failure(generateImages(req(), opts(s, { maxRetries: 1, maxResponseBytes: enough - 1 })));
    assert.match(e.message, /larger than .* together/);
  });

  test('F3: a base URL on 127.0.0.1 does not open 169.254.169.254, 10.x or fd00:: to image URLs', async () => {
    for (const url of ['https://169.254.169.254/latest/meta-data/iam', 'https://10.1.2.3/a.png', 'https://[fd00::1]/a.png', 'https://127.0.0.2/a.png']) {
      await s?.close();
      s = await serve((_q, r) => json(r, 200, { data: [{ url }] }));
      const seen: string[] = [];
      const real = buildConnector({});
      const dispatcher = new Agent({
        connect: (o, cb) => {
          seen.push(o.hostname);
          if (o.hostname === '127.0.0.1') real(o, cb);
          else cb(Object.assign(new Error('test: connection blocked'), { code: 'ECONNREFUSED' }), null);
        },
      });
      const e = await failure(generateImages(req(), opts(s, { dispatcher })));
      await dispatcher.close();
      assert.deepEqual(seen.filter((h) => h !== '127.0.0.1'), [], `${url}: connected to ${seen.join(', ')}`);
      assert.equal(e.kind, 'badResponse', url);
      assert.match(e.message, /internal addresses other than the base URL's own host/, url);
    }
  });

  test("F3: the base URL's own host stays allowed, by its name's addresses too; never a link-local one", async () => {
    const image = tinyPng();
    s = await serve((q, r) => {
      if (q.method === 'GET') {
        r.writeHead(200, { 'content-type': 'image/png' });
        r.end(image);
        return;
      }
      json(r, 200, { data: [{ url: `/files/a.png` }] });
    });
    assert.equal((await generateImages(req(), opts(s))).images[0].bytes.length, image.length, 'same origin');
    // localhost resolves to 127.0.0.1 (and maybe ::1): a relay named by its host name.
    const lookup: Lookup = async (h) => (h === 'localhost' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '169.254.169.254', family: 4 }]);
    const viaName = await generateImages(req(), opts(s, { baseUrl: `http://localhost:${s.port}/v1`, lookup }));
    assert.equal(viaName.images.length, 1, 'localhost by its resolved address');
    // A base host that resolves to the metadata address does not open it.
    await s.close();
    s = await serve((_q, r) => json(r, 200, { data: [{ url: 'https://meta.test/a.png' }] }));
    const metaLookup: Lookup = async (h) => (h === 'localhost' ? [{ address: '127.0.0.1', family: 4 }, { address: '169.254.169.254', family: 4 }] : [{ address: '169.254.169.254', family: 4 }]);
    const e = await failure(generateImages(req(), opts(s, { baseUrl: `http://localhost:${s.port}/v1`, lookup: metaLookup })));
    assert.match(e.message, /169\.254\.169\.254 \(link-local address\)/);
  });

  test('F3: downloads from a loopback base still connect through the pinned agent (rebinding between check and connect)', async () => {
    // The image host resolves once (checked: the base's own 127.0.0.1), then to 10.9.9.9: the socket
    // must use the checked answer, so the second lookup is never asked for.
    const image = tinyPng();
    s = await serve((q, r) => {
      if (q.method === 'GET') {
        r.writeHead(200, { 'content-type': 'image/png' });
        r.end(image);
        return;
      }
      json(r, 200, { data: [{ url: `https://cdn.test:${s!.port}/a.png` }] });
    });
    const asked: string[] = [];
    const lookup: Lookup = async (h) => {
      asked.push(h);
      return [{ address: asked.length === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 }];
    };
    // The server speaks plain http, so the https download fails at TLS: what matters is where it connected.
    const e = await failure(generateImages(req(), opts(s, { lookup })));
    assert.deepEqual(asked, ['cdn.test'], `lookups: ${asked.join(', ')}; ${e.message}`);
    assert.equal(e.kind, 'network', e.message);
  });

  test('F2: an image-URL lookup that never answers is cut by the attempt deadline', async () => {
    s = await serve((_q, r) => json(r, 200, { data: [{ url: 'https://slow.test/a.png' }] }));
    const started = Date.now();
    const kind = await kindWithin(generateImages(req(), opts(s, { timeoutMs: 300, lookup: never, internalRange: () => undefined })), 3000, 'still running after 3 s');
    assert.equal(kind, 'timeout');
    assert.ok(Date.now() - started < 2000);
  });

  test('F2: the base-host lookup (for the own-host exception) is cut by the deadline and by Cancel', async () => {
    s = await serve((_q, r) => json(r, 200, { data: [{ url: 'https://slow.test/a.png' }] }));
    const lookup: Lookup = (h) => (h === 'localhost' ? never(h) : Promise.resolve([{ address: '93.184.216.34', family: 4 }]));
    const base = `http://localhost:${s.port}/v1`;
    assert.equal(await kindWithin(generateImages(req(), opts(s, { baseUrl: base, timeoutMs: 300, lookup })), 3000, 'still running'), 'timeout');
    const controller = new AbortController();
    const pending = generateImages(req(), opts(s, { baseUrl: base, lookup }), controller.signal);
    setTimeout(() => controller.abort(), 200);
    assert.equal(await kindWithin(pending, 2200, 'still running 2 s after cancel'), 'cancelled');
  });

  test('F2: cancelling while an image-URL lookup is pending rejects at once as cancelled', async () => {
    s = await serve((_q, r) => json(r, 200, { data: [{ url: 'https://slow.test/a.png' }] }));
    const controller = new AbortController();
    const pending = generateImages(req(), opts(s, { lookup: never, internalRange: () => undefined }), controller.signal);
    setTimeout(() => controller.abort(), 200);
    assert.equal(await kindWithin(pending, 2200, 'still running 2 s after cancel'), 'cancelled');
  });

  test('F1: usage keeps only non-negative integer token counts of the known fields', async () => {
    s = await serve((_q, r) =>
      json(r, 200, {
        data: [{ b64_json: png() }],
        usage: { total_tokens: `key ${key}`, input_tokens: '[x](command:evil)', output_tokens: 42, extra: key, input_tokens_details: { text_tokens: 7, image_tokens: -1, note: key } },
      }),
    );
    const result = await generateImages(req(), opts(s));
    assert.ok(!JSON.stringify(result).includes(key), JSON.stringify(result.usage));
    assert.deepEqual(result.usage, { output_tokens: 42, input_tokens_details: { text_tokens: 7 } });
    assert.deepEqual(usageOf({ input_tokens: 1.5, output_tokens: Infinity, total_tokens: 2 ** 60 }), {});
    assert.deepEqual(usageOf('a lot'), {});
    assert.deepEqual(usageOf({ input_tokens: 0, output_tokens: 3, total_tokens: 3, input_tokens_details: { text_tokens: 0, image_tokens: '1' } }), {
      usage: { input_tokens: 0, output_tokens: 3, total_tokens: 3, input_tokens_details: { text_tokens: 0 } },
    });
  });

  test('F9: http://localhost./v1 is refused (getaddrinfo would ask DNS); http://LOCALHOST and 127.x are not', () => {
    for (const base of ['http://localhost.:8080/v1', 'http://LOCALHOST.:8080/v1']) {
      assert.throws(() => imagesEndpoint(base), (e: unknown) => e instanceof ImageApiError && e.kind === 'validation', base);
    }
    for (const base of ['http://LOCALHOST:8080/v1', 'http://127.0.0.2/v1', 'http://[::1]:1/v1']) assert.doesNotThrow(() => imagesEndpoint(base), base);
  });

  test('F5: Retry-After 0.001 and retry-after-ms 1 do not shorten the wait below the backoff', async () => {
    for (const header of [{ 'retry-after': '0.001' }, { 'retry-after-ms': '1' }, { 'retry-after': '0' }]) {
      await s?.close();
      let first = true;
      s = await serve((_q, r) => {
        if (first) {
          first = false;
          json(r, 503, { error: { message: 'busy' } }, header);
        } else json(r, 200, { data: [{ b64_json: png() }] });
      });
      const waits: number[] = [];
      await generateImages(req(), opts(s, { maxRetries: 1, sleep: async (ms) => void waits.push(ms) }));
      assert.deepEqual(waits, [500], JSON.stringify(header));
    }
  });

  test('F8: a forged fast-path placeholder does not give an item the base64 of a field outside data', async () => {
    const body = `{"data":[{"b64\\u005fjson":"\\u0000b64#0"}],"junk":{"b64_json":"${png()}"}}`;
    s = await serve((_q, r) => json(r, 200, body));
    const e = await failure(generateImages(req(), opts(s)));
    assert.equal(e.kind, 'badResponse');
    assert.match(e.message, /not valid base64/);
  });

  test('F8: two items naming the same placeholder are refused, not decoded from one range twice', async () => {
    const body = `{"data":[{"b64\\u005fjson":"\\u0000b64#0"},{"b64\\u005fjson":"\\u0000b64#0"}],"x":[{"b64_json":"${png()}"},{"b64_json":"${png()}"}]}`;
    s = await serve((_q, r) => json(r, 200, body));
    const e = await failure(generateImages(req(2), opts(s)));
    assert.match(e.message, /not valid base64/);
  });

  test('F8: extractImages refuses a placeholder without its nonce, twice used, or a b64_json outside data', () => {
    const b64 = png();
    const forged = Buffer.from(`{"data":[{"b64\\u005fjson":"\\u0000b64#0"}],"junk":{"b64_json":"${b64}"}}`);
    assert.equal(extractImages(forged, 1), undefined);
    const nested = Buffer.from(`{"data":[{"meta":{"b64_json":"${b64}"}}]}`);
    assert.equal(extractImages(nested, 1), undefined);
    const ok = extractImages(Buffer.from(`{"data":[{"b64_json":"${b64}"}]}`), 1);
    assert.ok(ok);
    assert.deepEqual([...ok.images.values()][0], tinyPng());
  });

  test('F7: the key does not survive as an HTML entity, a JSON escape in {"detail"} or in upper case', async () => {
    const bodies: Array<[string, string]> = [
      ['text/html', `<html><body><p>Invalid key &#115;${key.slice(1)}</p></body></html>`],
      ['text/html', `<html><body><p>Invalid key &#x73;&#x6B;${key.slice(2)}</p></body></html>`],
      ['application/json', `{"detail":"Invalid key \\u0073${key.slice(1)}"}`],
      ['application/json', `{"detail":"Invalid key ${key.slice(0, 10)}\\u002d${key.slice(11)}"}`],
      ['application/json', `{"detail":[{"loc":["header"],"msg":"bad key ${key.toUpperCase()}"}]}`],
      ['text/plain', `bad key ${Buffer.from(`user:${key}`).toString('base64').replace(/(.{8})/g, '$1 ')}`],
    ];
    for (const [type, body] of bodies) {
      await s?.close();
      s = await serve((_q, r) => {
        r.writeHead(401, { 'content-type': type });
        r.end(body);
      });
      const e = await failure(generateImages(req(), opts(s)));
      const shown = `${e.message} | ${e.excerpt ?? ''}`;
      for (let i = 0; i + 8 <= key.length; i++) assert.ok(!shown.toLowerCase().includes(key.slice(i, i + 8).toLowerCase()), `${body} → ${shown}`);
      assert.match(shown, /\*\*\*/, body);
    }
  });

  test('F7: a FastAPI {"detail"} body is excerpted as its text, not as raw JSON', async () => {
    s = await serve((_q, r) => json(r, 422, { detail: 'Field "size" is not supported' }));
    const e = await failure(generateImages(req(), opts(s)));
    assert.equal(e.excerpt, 'Field "size" is not supported');
  });

  test('F6: a PNG signature followed by HTML, or FF D8 FF alone, is not saved as an image', async () => {
    const polyglot = Buffer.concat([tinyPng().subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')]);
    for (const bytes of [polyglot, Buffer.from([0xff, 0xd8, 0xff])]) {
      await s?.close();
      s = await serve((_q, r) => json(r, 200, { data: [{ b64_json: bytes.toString('base64') }] }));
      const e = await failure(generateImages(req(), opts(s)));
      assert.equal(e.kind, 'badResponse');
      assert.match(e.message, /is not a PNG, JPEG or WebP image/);
    }
  });

  test('held: http base URLs off this machine are refused', async () => {
    for (const base of ['http://localhost.evil.com/v1', 'http://127.0.0.1.nip.io/v1', 'http://0.0.0.0/v1', 'HTTP://example.com/v1', ' http://10.0.0.1/v1 ']) {
      const e = await failure(generateImages(req(), { baseUrl: base, apiKey: key }));
      assert.equal(e.kind, 'validation', base);
    }
  });
});
