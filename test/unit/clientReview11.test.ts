import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { generateImages, generateImagesToFiles, type ClientOptions } from '../../src/core/api/client';
import { closeProxyDispatchers, ProxyRouter } from '../../src/core/api/proxy';
import { describeProxy, matchNoProxy, normalizeHost, resolveProxy, type ProxySettings } from '../../src/core/api/proxyRules';
import { statusDecision } from '../../src/core/api/retry';
import { removeSpooled } from '../../src/core/api/streamingImages';
import { describeError } from '../../src/core/errorMessages';
import { ImageApiError } from '../../src/core/errors';
import type { GenerationRequest } from '../../src/core/types';
import { startFakeImageServer, tinyPng, type FakeImageServer } from '../fixtures/fakeImageServer';
import { startForwardingProxy, type ForwardingProxy } from '../fixtures/forwardingProxy';
import { testCertificates } from '../fixtures/tls/testCertificates';

// Issue #11, reviewer findings on the network path. Each case goes over real HTTP (fixture server,
// loopback forwarding proxy) and counts what reached the proxy and the server.

const key = 'sk-review11-SECRET-0123456789abcdef';
const cat: GenerationRequest = { model: 'gpt-image-2', prompt: 'A cat', n: 1, size: '1024x1024' };

function settings(extra: Partial<ProxySettings> = {}): ProxySettings {
  return { strictSSL: true, noProxy: [], proxySupport: 'override', env: {}, extraCa: testCertificates().ca, ...extra };
}

function options(baseUrl: string, lines: string[], extra: Partial<ClientOptions> = {}): ClientOptions {
  return {
    baseUrl,
    apiKey: key,
    maxRetries: 2,
    random: () => 0,
    sleep: async () => undefined,
    logger: { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) },
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, String(error));
    assert.ok(!error.message.includes(key));
    return error;
  }
  return assert.fail('expected a rejection');
}

const decisions = (lines: readonly string[]): string[] => lines.filter((line) => /^(Not retrying|Retrying): /.test(line));

suite('issue #11 review: proxy failures are never retried', () => {
  let server: FakeImageServer;
  let authProxy: ForwardingProxy;
  let baseUrl: string;

  suiteSetup(async () => {
    const pki = testCertificates();
    server = await startFakeImageServer({ requireKey: key, tls: { cert: pki.cert, key: pki.key } });
    authProxy = await startForwardingProxy({ hosts: { 'api.wisgate.test': `127.0.0.1:${server.port}` }, auth: { username: 'alice', password: 'right' } });
    baseUrl = `https://api.wisgate.test:${server.port}/v1`;
  });

  suiteTeardown(async () => {
    await closeProxyDispatchers();
    await Promise.all([authProxy.close(), server.close()]);
  });

  setup(async () => {
    await closeProxyDispatchers();
    authProxy.clear();
    server.reset();
  });

  test('a CONNECT 407 for wrong credentials is sent once, not three times (an AD account can lock)', async () => {
    const lines: string[] = [];
    const proxy = authProxy.url.replace('http://', 'http://alice:wrong@');
    const error = await failure(generateImages(cat, options(baseUrl, lines, { dispatcher: new ProxyRouter(settings({ proxy })) })));
    assert.deepEqual(authProxy.records.map((r) => `${r.method} ${r.auth} ${r.status}`), ['CONNECT rejected 407'], 'one CONNECT only');
    assert.equal(server.requests.length, 0);
    assert.equal(error.attempts, 1);
    assert.notEqual(error.mayBeCharged, true, 'nothing reached the image service');
    const [decision, ...more] = decisions(lines);
    assert.match(decision, /^Not retrying: The proxy http:\/\/127\.0\.0\.1:\d+ \(from http\.proxy\) rejected the credentials \(407\).* \(proxyAuth: repeating cannot fix it; nothing was sent to the image service\)$/);
    assert.deepEqual(more, []);
    assert.ok(!lines.join('\n').includes('wrong'), 'the password is in no log line');
    const shown = describeError(error, { action: 'Image generation', canTryAgain: true });
    assert.deepEqual(shown.actions, ['openProxySettings', 'showLog']);
    assert.match(shown.message, /rejected the credentials \(407\)/);
  });

  test('a proxy that refuses the tunnel (502) is not retried either', async () => {
    const lines: string[] = [];
    const proxy = authProxy.url.replace('http://', 'http://alice:right@');
    const unknownHost = `https://elsewhere.wisgate.test:${server.port}/v1`;
    const error = await failure(generateImages(cat, options(unknownHost, lines, { dispatcher: new ProxyRouter(settings({ proxy })) })));
    assert.deepEqual(authProxy.records.map((r) => `${r.method} ${r.status}`), ['CONNECT 502']);
    assert.notEqual(error.mayBeCharged, true);
    assert.match(decisions(lines)[0], /^Not retrying: .*refused to open a connection to the image service \(502\).*\(proxyRefused: /);
  });

  test('a malformed % in the proxy credentials is a proxy-setting error: never sent, not "may have been charged"', async () => {
    const lines: string[] = [];
    const proxy = authProxy.url.replace('http://', 'http://alice:50%zz@');
    const config = settings({ proxy });
    assert.equal(resolveProxy(config, baseUrl).kind, 'invalid');
    assert.match(describeProxy(resolveProxy(config, baseUrl)), /malformed percent-escape \(write a literal % as %25\)$/);
    const error = await failure(generateImages(cat, options(baseUrl, lines, { dispatcher: new ProxyRouter(config) })));
    assert.deepEqual(authProxy.records, [], 'nothing reached the proxy');
    assert.equal(server.requests.length, 0);
    assert.equal(error.attempts, 1);
    assert.notEqual(error.mayBeCharged, true);
    assert.doesNotMatch(error.message, /charged/);
    assert.doesNotMatch(lines.join('\n'), /50%zz|charged/);
    const shown = describeError(error, { action: 'Image generation', canTryAgain: true });
    assert.deepEqual(shown.actions, ['openProxySettings', 'showLog']);
    assert.match(shown.message, /^no usable proxy: http\.proxy http:\/\/127\.0\.0\.1:\d+: the user name or password in the proxy URL has a malformed percent-escape .*Fix http\.proxy/);
  });
});

suite('issue #11 review: a late 408/409/429 is not retried and never claims "nothing was generated"', () => {
  let server: FakeImageServer;
  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  test('a 429 after a long wait: one POST, may have been charged, Try Again', async () => {
    for (const status of [408, 409, 429]) {
      server.reset();
      const lines: string[] = [];
      // A 20 ms window instead of 10 s keeps the test fast; the server waits 150 ms before answering.
      server.script({ status, error: { message: 'Slow down', type: 'requests' }, delayMs: 150 });
      const error = await failure(generateImages(cat, options(server.baseUrl, lines, { retryServerErrorsWithinMs: 20 })));
      assert.equal(server.requests.filter((r) => r.method === 'POST').length, 1, String(status));
      assert.equal(error.mayBeCharged, true, String(status));
      assert.doesNotMatch(lines.join('\n'), /nothing was generated/);
      assert.match(decisions(lines)[0], new RegExp(`^Not retrying: ${status} .+ answered after \\d+ ms, later than 20 ms \\(an image may have been generated and charged\\)$`));
      assert.equal(describeError(error, { action: 'Image generation', canTryAgain: true }).actions[0], 'tryAgain');
    }
  });

  test('the same 429 answered quickly is still retried', async () => {
    const lines: string[] = [];
    server.script({ status: 429, error: { message: 'Slow down', type: 'requests' } });
    await generateImages(cat, options(server.baseUrl, lines, { retryServerErrorsWithinMs: 5_000 }));
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 2);
    assert.match(decisions(lines)[0], /^Retrying: 429 Too Many Requests answered in \d+ ms \(nothing was generated\)/);
  });

  test('the rule: x-should-retry: true does not override the window for any status', () => {
    for (const status of [408, 409, 422, 429, 503]) {
      const late = statusDecision(status, undefined, 'true', 60_000, 10_000);
      assert.deepEqual([late.retry, late.mayBeCharged], [false, true], String(status));
    }
  });
});

suite('issue #11 review: http.noProxy and loopback see through a trailing dot and IPv4-mapped IPv6', () => {
  let plain: Server;
  let port: number;
  let proxy: ForwardingProxy;

  suiteSetup(async () => {
    plain = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ host: req.headers.host })));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    port = (plain.address() as AddressInfo).port;
    proxy = await startForwardingProxy();
  });

  suiteTeardown(async () => {
    await closeProxyDispatchers();
    await proxy.close();
    plain.closeAllConnections();
    await new Promise((resolve) => plain.close(resolve));
  });

  test('normalizeHost', () => {
    assert.equal(normalizeHost('Example.COM.'), 'example.com');
    assert.equal(normalizeHost('[::ffff:7f00:1]'), '127.0.0.1');
    assert.equal(normalizeHost('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeHost('[0:0:0:0:0:ffff:a01:203]'), '10.1.2.3');
    assert.equal(normalizeHost('[2001:db8::1]'), '2001:db8::1');
  });

  test('a trailing dot and a mapped address match the entries they name', () => {
    const config: ProxySettings = { strictSSL: true, proxy: 'http://proxy.corp:3128', noProxy: ['example.com', '10.0.0.0/8', '192.168.1.5', 'corp.internal.'], proxySupport: 'override', env: {} };
    for (const url of ['https://example.com./v1', 'https://api.example.com.:443/v1', 'http://[::ffff:10.1.2.3]/', 'http://[::ffff:192.168.1.5]:80/', 'https://corp.internal/v1']) {
      assert.equal(resolveProxy(config, url).kind, 'direct', url);
    }
    assert.equal(resolveProxy(config, 'https://example.org./v1').kind, 'proxy');
    assert.equal(matchNoProxy(['EXAMPLE.com.'], 'example.com.', '443'), 'EXAMPLE.com.');
  });

  test('over HTTP: a request to [::ffff:127.0.0.1] goes direct as loopback, never to the proxy', async () => {
    const config: ProxySettings = { strictSSL: true, proxy: proxy.url, noProxy: [], proxySupport: 'override', env: {} };
    const url = `http://[::ffff:127.0.0.1]:${port}/`;
    assert.equal(describeProxy(resolveProxy(config, url)), 'direct (loopback host)');
    const response = await request(url, { dispatcher: new ProxyRouter(config), headersTimeout: 5000, bodyTimeout: 5000 });
    assert.equal(response.statusCode, 200);
    await response.body.json();
    assert.deepEqual(proxy.records, []);
  });
});

suite('issue #11 review: the streaming decode keeps at most 4 MB of JSON besides the images', () => {
  let raw: Server;
  let answer: Buffer;
  let tmp: string;

  suiteSetup(async () => {
    raw = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(answer.length) }).end(answer));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  });
  suiteTeardown(async () => {
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
  });
  setup(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'gis-review11-'));
  });
  teardown(() => rmSync(tmp, { recursive: true, force: true }));

  const answerWith = (filler: string): Buffer =>
    Buffer.from(`{"created":1,${filler}"data":[{"revised_prompt":"A cat","b64_json":"${tinyPng().toString('base64')}"}]}`);
  const baseUrl = (): string => `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`;

  test('a 6 MB revised_prompt or 6 MB of whitespace stops the read with a clear error; no temp file stays', async () => {
    for (const filler of [`"revised_prompt":"${'x'.repeat(6 * 1024 * 1024)}",`, `${' '.repeat(6 * 1024 * 1024)}`]) {
      answer = answerWith(filler);
      const lines: string[] = [];
      const error = await failure(generateImagesToFiles(cat, options(baseUrl(), lines, { maxRetries: 0 }), { dir: tmp }));
      assert.equal(error.kind, 'badResponse');
      assert.match(error.message, /^The server's answer has more than 4 MB of JSON besides the images \(padding, or a field such as revised_prompt that large\), so reading stopped; the images may already/);
      assert.equal(error.mayBeCharged, true);
      assert.deepEqual(readdirSync(tmp), []);
    }
  });

  test('3 MB of other JSON is still read', async () => {
    answer = answerWith(`"note":"${'y'.repeat(3 * 1024 * 1024)}",`);
    const result = await generateImagesToFiles(cat, options(baseUrl(), [], { maxRetries: 0 }), { dir: tmp });
    assert.equal(result.images.length, 1);
    await removeSpooled(result.images.map((image) => image as never));
  });
});
