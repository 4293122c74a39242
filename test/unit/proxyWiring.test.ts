import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { closeProxyDispatchers, ProxyRouter } from '../../src/core/api/proxy';
import { proxyFailureOf } from '../../src/core/api/proxyErrors';
import type { ProxySettings } from '../../src/core/api/proxyRules';
import { networkEnvNames, toProxySettings } from '../../src/core/api/proxySettings';
import { describeError } from '../../src/core/errorMessages';
import { ImageApiError } from '../../src/core/errors';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { startForwardingProxy, type ForwardingProxy } from '../fixtures/forwardingProxy';
import { testCertificates } from '../fixtures/tls/testCertificates';

/* Issue #11: VS Code's http.* values → ProxySettings, and proxy failures as messages with an action. */

suite('http.* settings to ProxySettings', () => {
  test('VS Code defaults when nothing is set: strict SSL, proxy support override, system certificates on', () => {
    assert.deepEqual(toProxySettings({}, {}), {
      settings: {
        proxy: undefined,
        strictSSL: true,
        noProxy: [],
        proxyAuthorization: undefined,
        proxySupport: 'override',
        env: {},
        extraCa: undefined,
        systemCertificates: true,
      },
      problems: [],
    });
  });

  test('takes the values as set, trimmed; keeps only the network variables of the environment', () => {
    const { settings, problems } = toProxySettings(
      {
        proxy: ' http://proxy.corp:3128 ',
        proxyStrictSSL: false,
        noProxy: [' api.wisgate.test ', '', '.corp'],
        proxyAuthorization: 'Basic abc',
        proxySupport: 'off',
        systemCertificates: false,
      },
      { HTTPS_PROXY: 'http://env:1', no_proxy: 'x', NODE_EXTRA_CA_CERTS: '/ca.pem', WISGATE_API_KEY: 'sk-secret', PATH: '/bin', HTTP_PROXY: ' ' },
    );
    assert.deepEqual([...problems].sort(), []);
    assert.equal(settings.proxy, 'http://proxy.corp:3128');
    assert.equal(settings.strictSSL, false);
    assert.deepEqual(settings.noProxy, ['api.wisgate.test', '.corp']);
    assert.equal(settings.proxyAuthorization, 'Basic abc');
    assert.equal(settings.proxySupport, 'off');
    assert.equal(settings.systemCertificates, false);
    assert.deepEqual(settings.env, { HTTPS_PROXY: 'http://env:1', no_proxy: 'x', NODE_EXTRA_CA_CERTS: '/ca.pem' });
    assert.deepEqual([...networkEnvNames].sort(), ['HTTPS_PROXY', 'HTTP_PROXY', 'NODE_EXTRA_CA_CERTS', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']);
  });

  test('values of the wrong type are ignored with a sentence that names the setting, never the value', () => {
    const { settings, problems } = toProxySettings(
      { proxy: 42, proxyStrictSSL: 'no', noProxy: 'a.test', proxyAuthorization: { secret: 'hunter2' }, proxySupport: 'sometimes', systemCertificates: 1 },
      {},
    );
    assert.equal(settings.proxy, undefined);
    assert.equal(settings.strictSSL, true);
    assert.deepEqual(settings.noProxy, []);
    assert.equal(settings.proxyAuthorization, undefined);
    assert.equal(settings.proxySupport, 'override');
    assert.equal(settings.systemCertificates, true);
    assert.deepEqual([...problems].sort(), [
      'http.proxy is not a string; it is ignored.',
      'http.proxyAuthorization is not a string; it is ignored.',
      'http.proxyStrictSSL is not true or false; the default (true) is used.',
      'http.systemCertificates is not true or false; the default (true) is used.',
      'http.noProxy is not a list of host names; it is ignored.',
      'http.proxySupport is not one of off, on, override, fallback; "override" is used.',
    ].sort());
    assert.ok(!problems.join(' ').includes('hunter2'));
    assert.deepEqual(toProxySettings({ noProxy: ['a.test', 7] }, {}).problems, ['http.noProxy has entries that are not strings; they are ignored.']);
  });

  test('the NODE_EXTRA_CA_CERTS content is trusted only when it holds a PEM certificate', () => {
    const { ca } = testCertificates();
    assert.equal(toProxySettings({}, {}, ca).settings.extraCa, ca);
    assert.equal(toProxySettings({}, {}, 'not a certificate').settings.extraCa, undefined);
  });
});

suite('proxy failures through the images client', () => {
  const key = 'sk-proxy-wiring-0123456789';
  const pki = testCertificates();
  let server: FakeImageServer;
  let proxy: ForwardingProxy;
  let authProxy: ForwardingProxy;
  let baseUrl: string;

  const settings = (extra: Partial<ProxySettings>): ProxySettings => ({ strictSSL: true, noProxy: [], proxySupport: 'override', env: {}, extraCa: pki.ca, ...extra });
  const request = { model: 'gpt-image-2', prompt: 'A lighthouse', n: 1, size: '1024x1024' } as const;
  const options = (config: ProxySettings, extra: Partial<ClientOptions> = {}): ClientOptions => ({
    baseUrl,
    apiKey: key,
    maxRetries: 0,
    dispatcher: new ProxyRouter(config),
    ...extra,
  });
  /** The error the generation failed with, described as a notification would show it. */
  async function failure(config: ProxySettings): Promise<{ error: ImageApiError; message: string; actions: readonly string[] }> {
    try {
      await generateImages(request, options(config));
    } catch (error) {
      assert.ok(error instanceof ImageApiError, String(error));
      const { message, actions } = describeError(error, { action: 'Image generation' });
      return { error, message, actions };
    }
    throw new Error('the generation succeeded');
  }

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key, tls: { cert: pki.cert, key: pki.key } });
    const hosts = { 'api.wisgate.test': `127.0.0.1:${server.port}` };
    proxy = await startForwardingProxy({ hosts });
    authProxy = await startForwardingProxy({ hosts, auth: { username: 'alice', password: 's3cret-pass' } });
    baseUrl = `https://api.wisgate.test:${server.port}/v1`;
  });

  suiteTeardown(async () => {
    await closeProxyDispatchers();
    await Promise.all([proxy.close(), authProxy.close(), server.close()]);
  });

  setup(async () => {
    await closeProxyDispatchers();
    proxy.clear();
    authProxy.clear();
  });

  test('a wrong proxy password: the proxy rejected the credentials (407), Open Proxy Settings, no password anywhere', async () => {
    const { error, message, actions } = await failure(settings({ proxy: authProxy.url.replace('http://', 'http://alice:wrong-pass@') }));
    assert.equal(error.kind, 'network');
    assert.equal(
      message,
      `The proxy ${authProxy.url} (from http.proxy) rejected the credentials (407): check the user name and password in http.proxy (http://user:password@host:port) or the value of http.proxyAuthorization.`,
    );
    assert.deepEqual(actions, ['openProxySettings', 'showLog']);
    for (const text of [message, error.message, JSON.stringify(error), String(error.stack)]) {
      assert.ok(!text.includes('wrong-pass') && !text.includes(Buffer.from('alice:wrong-pass').toString('base64')), text);
    }
    assert.deepEqual(authProxy.records.map((r) => `${r.method} ${r.auth} ${r.status}`), ['CONNECT rejected 407']);
  });

  test('the right password gets through; no credentials: asks for a user name and password', async () => {
    const good = await generateImages(request, options(settings({ proxy: authProxy.url.replace('http://', 'http://alice:s3cret-pass@') })));
    assert.equal(good.images.length, 1);
    const { message } = await failure(settings({ proxy: authProxy.url }));
    assert.match(message, /^The proxy http:\/\/127\.0\.0\.1:\d+ \(from http\.proxy\) asks for a user name and password \(407\)/);
  });

  test('a proxy that refuses connections is named as unreachable, not the image service', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { message, actions } = await failure(settings({ env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } }));
    assert.equal(
      message,
      `The proxy http://127.0.0.1:${port} (from HTTPS_PROXY) could not be reached (ECONNREFUSED). Check the proxy address in http.proxy or the proxy environment variables, or set http.proxySupport to "off" if you need no proxy.`,
    );
    assert.deepEqual(actions, ['openProxySettings', 'showLog']);
  });

  test('a proxy that will not open the tunnel (502) says so and points at http.noProxy', async () => {
    const other = await startForwardingProxy({ hosts: {} });
    try {
      const { message } = await failure(settings({ proxy: other.url }));
      assert.match(message, /^The proxy http:\/\/127\.0\.0\.1:\d+ \(from http\.proxy\) refused to open a connection to the image service \(502\)\. .*http\.noProxy/);
    } finally {
      await other.close();
    }
  });

  test('an untrusted certificate through the proxy: a certificate message naming NODE_EXTRA_CA_CERTS', async () => {
    const { message, actions } = await failure(settings({ proxy: proxy.url, extraCa: undefined, systemCertificates: false }));
    assert.match(message, /^The server's certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\. .*NODE_EXTRA_CA_CERTS/);
    assert.deepEqual(actions, ['openProxySettings', 'showLog']);
    assert.deepEqual(proxy.records.map((r) => r.method), ['CONNECT']);
  });

  test('an unsupported proxy scheme fails before anything is sent, without the password', async () => {
    const { message } = await failure(settings({ proxy: 'socks5://bob:pw-123456@proxy.corp:1080' }));
    assert.equal(message, 'no usable proxy: http.proxy socks5://proxy.corp:1080: only http:// and https:// proxies are supported. Fix http.proxy (or HTTPS_PROXY) and try again.');
  });

  test('images delivered as URLs download through the proxy, though this machine cannot resolve the host', async () => {
    server.script({ delivery: 'relativeUrl' });
    const result = await generateImages(request, options(settings({ proxy: proxy.url })));
    assert.equal(result.images.length, 1);
    // The name resolves nowhere here: the GET can only have come through the proxy's tunnel.
    assert.ok(server.requests.some((r) => r.method === 'GET' && r.url.includes('/files/')), 'the image was fetched');
    assert.ok(proxy.records.length >= 1 && proxy.records.every((r) => r.method === 'CONNECT' && r.target === `api.wisgate.test:${server.port}`));
  });

  test('other failures keep their own message', async () => {
    server.script({ status: 500, error: { message: 'boom', type: 'server_error' } });
    const { error, actions } = await failure(settings({ proxy: proxy.url }));
    assert.equal(error.kind, 'server');
    assert.equal(proxyFailureOf(error), undefined);
    assert.ok(!actions.includes('openProxySettings'));
  });

  test('cancelling while the proxy has not answered CONNECT rejects at once and closes the socket', async () => {
    const sockets: Socket[] = [];
    // Reads (so it sees the client hang up) but never answers the CONNECT.
    const stalling: Server = createServer((socket) => void sockets.push(socket.resume()));
    stalling.listen(0, '127.0.0.1');
    await once(stalling, 'listening');
    try {
      const controller = new AbortController();
      const pending = generateImages(request, options(settings({ proxy: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}` })), controller.signal);
      while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const closed = once(sockets[0], 'close');
      const started = Date.now();
      controller.abort();
      await assert.rejects(pending, (error: unknown) => error instanceof ImageApiError && error.kind === 'cancelled');
      assert.ok(Date.now() - started < 1000, 'rejected promptly');
      await closeProxyDispatchers('destroy');
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the CONNECT socket stayed open')), 5000))]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stalling.close(resolve));
    }
  });
});

suite('ProxyRouter and the pinned image downloads', () => {
  test('direct hops get connect options (the pinned Agent is kept), proxied hops none', () => {
    const pki = testCertificates();
    const router = new ProxyRouter({ strictSSL: true, noProxy: ['cdn.test'], proxySupport: 'override', env: {}, proxy: 'http://proxy.corp:3128' });
    assert.equal(router.directConnectOptions('https://images.example/a.png'), undefined);
    assert.deepEqual(router.directConnectOptions('https://cdn.test/a.png'), {});
    const withCa = new ProxyRouter({ strictSSL: true, noProxy: [], proxySupport: 'override', env: {}, extraCa: pki.ca });
    const first = withCa.directConnectOptions('https://cdn.test/a.png');
    assert.ok(first?.secureContext);
    assert.equal(withCa.directConnectOptions('https://cdn.test/b.png')?.secureContext, first.secureContext, 'one context, reused');
  });
});
