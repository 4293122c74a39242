import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { inspect } from 'node:util';
import { request } from 'undici';
import { generateImages } from '../../src/core/api/client';
import { closeProxyDispatchers, explainProxyError, proxyDispatcher, ProxyRouter, trustedCertificates } from '../../src/core/api/proxy';
import {
  describeProxy,
  matchNoProxy,
  ProxySettingsError,
  resolveProxy,
  type ProxyDecision,
  type ProxySettings,
} from '../../src/core/api/proxyRules';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { startForwardingProxy, type ForwardingProxy } from '../fixtures/forwardingProxy';
import { testCertificates } from '../fixtures/tls/testCertificates';

const api = 'https://api.wisgate.test/v1';

function settings(extra: Partial<ProxySettings> = {}): ProxySettings {
  return { strictSSL: true, noProxy: [], proxySupport: 'override', env: {}, ...extra };
}

function proxied(decision: ProxyDecision): Extract<ProxyDecision, { kind: 'proxy' }> {
  assert.equal(decision.kind, 'proxy', describeProxy(decision));
  return decision as Extract<ProxyDecision, { kind: 'proxy' }>;
}

/** The first `code` on an error or its causes: undici wraps socket and TLS errors. */
function codeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}

suite('proxy decision', () => {
  test('goes direct when nothing is configured', () => {
    assert.deepEqual(resolveProxy(settings(), api), {
      kind: 'direct',
      reason: 'no http.proxy or HTTPS_PROXY/HTTP_PROXY; PAC and OS proxy settings are not read',
    });
  });

  test('uses http.proxy before any environment variable', () => {
    const decision = proxied(resolveProxy(settings({ proxy: 'http://proxy.corp:3128', env: { HTTPS_PROXY: 'http://env:1' } }), api));
    assert.equal(decision.source, 'http.proxy');
    assert.equal(decision.proxyUrl, 'http://proxy.corp:3128');
  });

  test('falls back to the environment: lower case first, the https variables first for https targets', () => {
    const env = { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', http_proxy: 'http://c:3', HTTP_PROXY: 'http://d:4' };
    assert.equal(proxied(resolveProxy(settings({ env }), api)).proxyUrl, 'http://a:1');
    assert.equal(proxied(resolveProxy(settings({ env: { ...env, https_proxy: '' } }), api)).source, 'HTTPS_PROXY');
    assert.equal(proxied(resolveProxy(settings({ env: { HTTP_PROXY: 'http://d:4' } }), api)).source, 'HTTP_PROXY');
    assert.equal(proxied(resolveProxy(settings({ env }), 'http://api.wisgate.test/')).source, 'http_proxy');
    assert.equal(proxied(resolveProxy(settings({ env: { HTTPS_PROXY: 'http://b:2' } }), 'http://x.test/')).source, 'HTTPS_PROXY');
  });

  test('reads a scheme-less value as http://', () => {
    assert.equal(proxied(resolveProxy(settings({ env: { HTTPS_PROXY: '10.0.0.1:8080' } }), api)).proxyUrl, 'http://10.0.0.1:8080');
  });

  test('http.proxySupport "off" disables every proxy, setting and environment alike', () => {
    const off = settings({ proxySupport: 'off', proxy: 'http://p:1', env: { HTTPS_PROXY: 'http://e:2' } });
    assert.deepEqual(resolveProxy(off, api), { kind: 'direct', reason: 'http.proxySupport is off' });
    for (const support of ['on', 'fallback'] as const) {
      assert.equal(resolveProxy({ ...off, proxySupport: support }, api).kind, 'proxy');
    }
  });

  test('never proxies loopback hosts, as VS Code', () => {
    for (const target of ['http://localhost:8080/', 'http://127.0.0.1/', 'http://127.1.2.3/', 'https://[::1]:9/']) {
      assert.deepEqual(resolveProxy(settings({ proxy: 'http://p:1' }), target), { kind: 'direct', reason: 'loopback host' }, target);
    }
  });

  test('refuses proxies undici cannot speak instead of silently going direct', () => {
    const decision = resolveProxy(settings({ proxy: 'socks5://user:secret@p:1080' }), api);
    assert.equal(decision.kind, 'invalid');
    assert.match(describeProxy(decision), /socks5:\/\/p:1080: only http:\/\/ and https:\/\/ proxies are supported/);
    assert.doesNotMatch(describeProxy(decision), /secret|user/);
    assert.throws(() => proxyDispatcher(decision, settings()), ProxySettingsError);
    const broken = resolveProxy(settings({ proxy: 'http://user:secret@[bad' }), api);
    assert.deepEqual(broken, { kind: 'invalid', source: 'http.proxy', message: 'http.proxy is not a valid proxy URL' });
  });
});

suite('noProxy rules', () => {
  const cases: readonly (readonly [string, string, string, boolean])[] = [
    ['api.wisgate.test', 'api.wisgate.test', '443', true],
    ['wisgate.test', 'api.wisgate.test', '443', true],
    ['wisgate.test', 'notwisgate.test', '443', false],
    ['.wisgate.test', 'api.wisgate.test', '443', true],
    ['.wisgate.test', 'wisgate.test', '443', true],
    ['*.wisgate.test', 'api.wisgate.test', '443', true],
    ['*.wisgate.test', 'other.test', '443', false],
    ['API.WisGate.test', 'api.wisgate.test', '443', true],
    ['api.wisgate.test:443', 'api.wisgate.test', '443', true],
    ['api.wisgate.test:8443', 'api.wisgate.test', '443', false],
    ['*', 'anything.example', '80', true],
    ['10.1.2.3', '10.1.2.3', '80', true],
    ['10.1.2.3', '10.1.2.4', '80', false],
    ['10.0.0.0/8', '10.200.0.1', '80', true],
    ['10.0.0.0/8', '11.0.0.1', '80', false],
    ['10.0.0.0/8', 'ten.example', '80', false],
    ['fd00::/8', 'fd12::1', '443', true],
    ['[fd00::1]:8443', 'fd00::1', '8443', true],
    ['[fd00::1]:8443', 'fd00::1', '443', false],
    ['fd00::1', 'fd00::1', '443', true],
  ];
  for (const [entry, host, port, expected] of cases) {
    test(`"${entry}" ${expected ? 'exempts' : 'does not exempt'} ${host}:${port}`, () => {
      assert.equal(matchNoProxy([' ', entry], host, port) !== undefined, expected);
    });
  }

  test('http.noProxy wins over NO_PROXY when non-empty; NO_PROXY applies otherwise (commas or spaces)', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com, api.wisgate.test' };
    assert.deepEqual(resolveProxy(settings({ env }), api), { kind: 'direct', reason: 'NO_PROXY entry "api.wisgate.test"' });
    assert.equal(resolveProxy(settings({ env, noProxy: ['example.com'] }), api).kind, 'proxy');
    assert.deepEqual(resolveProxy(settings({ env, noProxy: ['*.wisgate.test'] }), api), {
      kind: 'direct',
      reason: 'http.noProxy entry "*.wisgate.test"',
    });
    const lower = { ...env, no_proxy: 'a.test b.test api.wisgate.test' };
    assert.deepEqual(resolveProxy(settings({ env: lower }), api), { kind: 'direct', reason: 'no_proxy entry "api.wisgate.test"' });
  });
});

suite('proxy credentials never reach the log', () => {
  const secret = 'p@ss:w0rd';
  const withUrlCredentials = settings({ proxy: `http://alice:${encodeURIComponent(secret)}@proxy.corp:3128/` });

  test('URL credentials become a Basic Proxy-Authorization and leave the proxy URL', () => {
    const decision = proxied(resolveProxy(withUrlCredentials, api));
    assert.equal(decision.proxyUrl, 'http://proxy.corp:3128');
    assert.equal(decision.authorization, `Basic ${Buffer.from(`alice:${secret}`).toString('base64')}`);
  });

  test('http.proxyAuthorization wins over URL credentials', () => {
    const decision = proxied(resolveProxy({ ...withUrlCredentials, proxyAuthorization: 'Bearer tok-123' }, api));
    assert.equal(decision.authorization, 'Bearer tok-123');
  });

  test('describeProxy, JSON and inspect show neither the user, the password nor the header', () => {
    for (const decision of [resolveProxy(withUrlCredentials, api), resolveProxy({ ...withUrlCredentials, proxyAuthorization: 'Bearer tok-123' }, api)]) {
      const basic = Buffer.from(`alice:${secret}`).toString('base64');
      for (const text of [describeProxy(decision), JSON.stringify(decision), inspect(decision, { depth: 5 })]) {
        for (const leak of ['alice', 'p@ss', encodeURIComponent(secret), basic, 'tok-123']) {
          assert.ok(!text.includes(leak), `${JSON.stringify(text)} contains ${leak}`);
        }
      }
      assert.equal(describeProxy(decision), 'proxy http://proxy.corp:3128 from http.proxy with Proxy-Authorization');
    }
  });
});

suite('trusted certificates', () => {
  const { ca } = testCertificates();

  test('leave Node\'s default store alone when nothing is added', () => {
    assert.equal(trustedCertificates(settings()), undefined);
    assert.equal(trustedCertificates(settings({ extraCa: [] })), undefined);
  });

  test('add extra CAs on top of Node\'s roots instead of replacing them', () => {
    const list = trustedCertificates(settings({ extraCa: Buffer.from(ca) })) ?? [];
    assert.ok(list.includes(ca.trim()));
    for (const root of tls.rootCertificates) assert.ok(list.includes(root.trim()));
    assert.equal(new Set(list).size, list.length);
  });

  test('keep NODE_EXTRA_CA_CERTS, which an explicit ca would otherwise drop', function () {
    // Newer Node reports its real default store (NODE_EXTRA_CA_CERTS read at startup) itself.
    if ('getCACertificates' in tls) this.skip();
    const dir = mkdtempSync(path.join(tmpdir(), 'proxy-ca-'));
    try {
      const file = path.join(dir, 'extra.pem');
      const { cert } = testCertificates(); // any certificate will do as the "extra" one
      writeFileSync(file, cert);
      const list = trustedCertificates(settings({ extraCa: ca, env: { NODE_EXTRA_CA_CERTS: file } })) ?? [];
      assert.ok(list.includes(cert.trim()));
      assert.ok(list.includes(ca.trim()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

suite('proxy dispatcher on loopback', () => {
  const certs = testCertificates();
  let plain: Server;
  let plainPort: number;
  let secure: Server;
  let securePort: number;
  let proxy: ForwardingProxy;
  let authProxy: ForwardingProxy;

  const answer = (scheme: string) => (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${plainPort}/landed` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ scheme, host: req.headers.host, url: req.url }));
  };

  suiteSetup(async () => {
    plain = createHttpServer(answer('http')).listen(0, '127.0.0.1');
    secure = createHttpsServer({ cert: certs.cert, key: certs.key }, answer('https')).listen(0, '127.0.0.1');
    await Promise.all([once(plain, 'listening'), once(secure, 'listening')]);
    plainPort = (plain.address() as AddressInfo).port;
    securePort = (secure.address() as AddressInfo).port;
    // One virtual name per scheme, so no test depends on another's mapping.
    const hosts = { 'plain.wisgate.test': `127.0.0.1:${plainPort}`, 'api.wisgate.test': `127.0.0.1:${securePort}` };
    proxy = await startForwardingProxy({ hosts });
    authProxy = await startForwardingProxy({ hosts, auth: { username: 'alice', password: 'p@ss:w0rd' } });
  });

  suiteTeardown(async () => {
    await closeProxyDispatchers();
    await Promise.all([proxy.close(), authProxy.close()]);
    plain.closeAllConnections();
    secure.closeAllConnections();
    await Promise.all([new Promise((resolve) => plain.close(resolve)), new Promise((resolve) => secure.close(resolve))]);
  });

  setup(async () => {
    // Fresh dispatchers, so a pooled keep-alive tunnel from an earlier test cannot hide a CONNECT.
    await closeProxyDispatchers();
    proxy.clear();
    authProxy.clear();
  });

  async function getJson(url: string, config: ProxySettings, maxRedirections = 0): Promise<{ status: number; json: unknown }> {
    const response = await request(url, { dispatcher: new ProxyRouter(config), maxRedirections, headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: response.statusCode, json: await response.body.json() };
  }

  test('the virtual host resolves nowhere without the proxy', async () => {
    await assert.rejects(request(`http://plain.wisgate.test:${plainPort}/`, { headersTimeout: 5000 }));
  });

  test('a plain-http request reaches the server only through the proxy, as an absolute-URI request', async () => {
    const url = `http://plain.wisgate.test:${plainPort}/v1/models?x=1`;
    const { status, json } = await getJson(url, settings({ proxy: proxy.url }));
    assert.equal(status, 200);
    assert.deepEqual(json, { scheme: 'http', host: `plain.wisgate.test:${plainPort}`, url: '/v1/models?x=1' });
    assert.deepEqual(proxy.records, [{ method: 'GET', target: `plain.wisgate.test:${plainPort}`, path: '/v1/models?x=1', auth: 'none', status: 200 }]);
  });

  test('HTTPS_PROXY from the environment works the same way (CONNECT for https)', async () => {
    const { status } = await getJson(`https://api.wisgate.test:${securePort}/v1`, settings({ env: { HTTPS_PROXY: proxy.url }, extraCa: certs.ca }));
    assert.equal(status, 200);
    assert.deepEqual(proxy.records.map((r) => `${r.method} ${r.target}`), [`CONNECT api.wisgate.test:${securePort}`]);
  });

  test('http.noProxy bypasses the proxy (and the virtual name then fails to resolve)', async () => {
    const config = settings({ proxy: proxy.url, noProxy: ['.wisgate.test'] });
    await assert.rejects(getJson(`http://plain.wisgate.test:${plainPort}/`, config));
    assert.deepEqual(proxy.records, []);
  });

  test('each redirect hop gets its own decision: the loopback hop goes direct', async () => {
    const { status, json } = await getJson(`http://plain.wisgate.test:${plainPort}/redirect`, settings({ proxy: proxy.url }), 2);
    assert.equal(status, 200);
    assert.deepEqual(json, { scheme: 'http', host: `127.0.0.1:${plainPort}`, url: '/landed' });
    assert.deepEqual(proxy.records.map((r) => r.path), ['/redirect']);
  });

  test('CONNECT to a server signed by the private CA works when that CA is trusted', async () => {
    const { status, json } = await getJson(`https://api.wisgate.test:${securePort}/v1`, settings({ proxy: proxy.url, extraCa: certs.ca }));
    assert.equal(status, 200);
    assert.deepEqual(json, { scheme: 'https', host: `api.wisgate.test:${securePort}`, url: '/v1' });
    assert.equal(proxy.records[0]?.method, 'CONNECT');
  });

  test('and fails with a certificate error code when it is not', async () => {
    const config = settings({ proxy: proxy.url });
    await assert.rejects(getJson(`https://api.wisgate.test:${securePort}/v1`, config), (error: unknown) => {
      assert.ok(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(codeOf(error) ?? ''), String(codeOf(error)));
      const explained = explainProxyError(error, resolveProxy(config, api));
      assert.equal(explained?.kind, 'certificate');
      assert.match(explained.message, /^The server's certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\. .*NODE_EXTRA_CA_CERTS/);
      return true;
    });
    assert.equal(proxy.records[0]?.method, 'CONNECT');
  });

  test('http.proxyStrictSSL false accepts the untrusted certificate through the proxy', async () => {
    const { status } = await getJson(`https://api.wisgate.test:${securePort}/v1`, settings({ proxy: proxy.url, strictSSL: false }));
    assert.equal(status, 200);
  });

  test('a proxy requiring Basic auth accepts credentials from the proxy URL, for http and https', async () => {
    const withCredentials = authProxy.url.replace('http://', `http://alice:${encodeURIComponent('p@ss:w0rd')}@`);
    const config = settings({ proxy: withCredentials, extraCa: certs.ca });
    assert.equal((await getJson(`http://plain.wisgate.test:${plainPort}/`, config)).status, 200);
    assert.equal((await getJson(`https://api.wisgate.test:${securePort}/`, config)).status, 200);
    assert.deepEqual(authProxy.records.map((r) => `${r.method} ${r.auth} ${r.status}`), ['GET accepted 200', 'CONNECT accepted 200']);
  });

  test('http.proxyAuthorization is sent as is', async () => {
    const token = `Basic ${Buffer.from('alice:p@ss:w0rd').toString('base64')}`;
    const { status } = await getJson(`http://plain.wisgate.test:${plainPort}/`, settings({ proxy: authProxy.url, proxyAuthorization: token }));
    assert.equal(status, 200);
  });

  test('without credentials the proxy answers 407 and the request fails naming it', async () => {
    const config = settings({ proxy: authProxy.url, extraCa: certs.ca });
    const explained407 = (error: unknown): boolean => {
      assert.deepEqual(explainProxyError(error, resolveProxy(config, api)), {
        kind: 'proxyAuth',
        message: `The proxy ${authProxy.url} (from http.proxy) asks for a user name and password (407): put them in http.proxy (http://user:password@host:port) or set http.proxyAuthorization.`,
      });
      return true;
    };
    await assert.rejects(getJson(`http://plain.wisgate.test:${plainPort}/`, config), explained407);
    await assert.rejects(getJson(`https://api.wisgate.test:${securePort}/`, config), explained407);
    const wrong = settings({ proxy: authProxy.url.replace('http://', 'http://alice:wrong@') });
    await assert.rejects(getJson(`http://plain.wisgate.test:${plainPort}/`, wrong), /407/);
    assert.deepEqual(authProxy.records.map((r) => `${r.method} ${r.auth} ${r.status}`), ['GET none 407', 'CONNECT none 407', 'GET rejected 407']);
  });

  test('an https:// proxy is verified with the same trusted CAs (proxyTls)', async () => {
    const tlsProxy = await startForwardingProxy({ hosts: { 'api.wisgate.test': `127.0.0.1:${securePort}` }, tls: certs });
    try {
      const url = `https://api.wisgate.test:${securePort}/v1`;
      assert.equal((await getJson(url, settings({ proxy: tlsProxy.url, extraCa: certs.ca }))).status, 200);
      assert.deepEqual(tlsProxy.records.map((r) => r.method), ['CONNECT']);
      await closeProxyDispatchers();
      await assert.rejects(getJson(url, settings({ proxy: tlsProxy.url })), (error: unknown) => codeOf(error) === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      await closeProxyDispatchers();
      await tlsProxy.close();
    }
  });

  test('explainProxyError leaves other failures to the client', () => {
    assert.equal(explainProxyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), resolveProxy(settings(), api)), undefined);
    assert.equal(explainProxyError(new ProxySettingsError('no usable proxy: x'), resolveProxy(settings(), api))?.kind, 'proxySettings');
  });

  test('dispatchers are cached by everything that shapes them', () => {
    const config = settings({ proxy: proxy.url });
    const decision = resolveProxy(config, api);
    assert.equal(proxyDispatcher(decision, config), proxyDispatcher(resolveProxy(config, api), config));
    assert.notEqual(proxyDispatcher(decision, config), proxyDispatcher(decision, { ...config, strictSSL: false }));
    assert.equal(proxyDispatcher(resolveProxy(settings(), api), settings()), undefined);
    assert.ok(proxyDispatcher(resolveProxy(settings(), api), settings({ extraCa: certs.ca })));
  });
});

suite('proxy dispatcher with the images client', () => {
  let server: FakeImageServer;
  let proxy: ForwardingProxy;

  suiteSetup(async () => {
    const pki = testCertificates();
    server = await startFakeImageServer({ requireKey: 'sk-proxy-test-0123456789', tls: { cert: pki.cert, key: pki.key } });
    proxy = await startForwardingProxy({ hosts: { 'api.wisgate.test': `127.0.0.1:${server.port}` } });
  });

  suiteTeardown(async () => {
    await closeProxyDispatchers();
    await Promise.all([proxy.close(), server.close()]);
  });

  test('a generation for a host only the proxy knows goes through the proxy', async () => {
    // https: a plain http:// base URL on a host other than loopback is refused (it would send the key in clear).
    const config = settings({ proxy: proxy.url, extraCa: testCertificates().ca });
    const baseUrl = `https://api.wisgate.test:${server.port}/v1`;
    const result = await generateImages(
      { model: 'gpt-image-2', prompt: 'A lighthouse', n: 1, size: '1024x1024' },
      { baseUrl, apiKey: 'sk-proxy-test-0123456789', maxRetries: 0, dispatcher: new ProxyRouter(config) },
    );
    assert.equal(result.images.length, 1);
    assert.deepEqual(proxy.records.map((r) => `${r.method} ${r.target} ${r.path}`), [`CONNECT api.wisgate.test:${server.port} undefined`]);
    assert.equal(describeProxy(resolveProxy(config, baseUrl)), `proxy ${proxy.url} from http.proxy`);
  });
});
