import * as assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../src/core/errorMessages';
import type { TestApi } from '../../src/extension';
import type { FakeImageServer } from '../fixtures/fakeImageServer';
import { startForwardingProxy, type ForwardingProxy } from '../fixtures/forwardingProxy';
import { testCertificates } from '../fixtures/tls/testCertificates';
import { emptyDir, listAll, listImages, setUserSetting, sleep, testApi, useFixtureServer, waitFor, workspaceRoot } from './helpers';

/*
 * Issue #11 in the real extension host: VS Code's http.* user settings and the proxy environment
 * variables reach the bundled undici. The API host `api.wisgate.test` resolves nowhere (.test is
 * reserved, and the committed CA may only sign .test names): only the forwarding proxy maps it to the
 * TLS fixture server on 127.0.0.1, so a generation that succeeds went through the proxy.
 */

const key = 'sk-proxy-integration-0123456789';
const password = 'pr0xy-S3cret!';
const httpKeys = ['proxy', 'noProxy', 'proxyStrictSSL', 'proxyAuthorization', 'proxySupport'] as const;
const envNames = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS'] as const;

async function setHttpSetting(name: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration('http');
  await config.update(name, value, vscode.ConfigurationTarget.Global);
  await waitFor(`http.${name} to be ${JSON.stringify(value)}`, () =>
    JSON.stringify(vscode.workspace.getConfiguration('http').inspect(name)?.globalValue) === JSON.stringify(value) ? true : undefined,
  );
}

/** The fixture's base URL under the API host that resolves only through the proxies. */
const apiBaseOf = (server: FakeImageServer): string => `https://api.wisgate.test:${server.port}/v1`;

suite('Proxies and certificates (issue #11)', () => {
  const pki = testCertificates();
  const caFile = path.join(pki.dir, 'ca.pem');
  const artifacts = path.resolve(pki.dir, '..', '..', '..', '.test-artifacts', 'integration');
  const savedEnv: Partial<Record<(typeof envNames)[number], string>> = {};
  let api: TestApi;
  const server = useFixtureServer({
    key,
    server: { tls: { cert: pki.cert, key: pki.key } },
    baseUrl: apiBaseOf,
    settings: { maxRetries: 0 },
  });
  let proxy: ForwardingProxy;
  let authProxy: ForwardingProxy;
  let apiBase: string;
  let assets: string;
  let logStart = '';
  let tests = 0;

  const target = () => ({ kind: 'assets' as const, workspaceRoot: workspaceRoot(), assetsFolder: 'assets' });
  const generate = (prompt: string, signal = new AbortController().signal) =>
    api.generation.generate(api.generation.buildRequest(prompt), target(), signal);
  /** The log lines written since this test began. */
  // The log keeps its last 500 lines: this test's lines are those after its marker, not after an index
  // (once earlier suites filled the 500, an index no longer moves).
  const logLines = (): readonly string[] => {
    const lines = api.log.recentLines();
    return lines.slice(lines.lastIndexOf(`[info] ${logStart}`) + 1);
  };
  /** The generation's failure as the notification shows it. */
  async function failure(prompt: string): Promise<{ message: string; actions: readonly string[]; raw: string }> {
    try {
      await generate(prompt);
    } catch (error) {
      const { message, actions } = describeError(error, { action: 'Image generation' });
      return { message, actions, raw: `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}` };
    }
    throw new Error('the generation succeeded');
  }

  suiteSetup(async () => {
    fs.rmSync(path.join(artifacts, 'proxy-log.txt'), { force: true });
    for (const name of envNames) savedEnv[name] = process.env[name];
    const hosts = { 'api.wisgate.test': `127.0.0.1:${server().port}` };
    proxy = await startForwardingProxy({ hosts });
    authProxy = await startForwardingProxy({ hosts, auth: { username: 'alice', password } });
    apiBase = apiBaseOf(server());
    api = await testApi();
    assets = path.join(workspaceRoot(), 'assets');
  });

  suiteTeardown(async () => {
    await Promise.all([proxy.close(), authProxy.close()]);
  });

  setup(async () => {
    emptyDir(assets);
    proxy.clear();
    authProxy.clear();
    for (const name of envNames) delete process.env[name];
    // The private CA is trusted the way a user would: NODE_EXTRA_CA_CERTS names its PEM file.
    process.env.NODE_EXTRA_CA_CERTS = caFile;
    await setUserSetting('baseUrl', apiBase);
    logStart = `Integration: proxy test ${++tests} starts`;
    api.log.info(logStart);
  });

  teardown(async function () {
    // For the closing note: what each test wrote to the GPT Image log.
    fs.mkdirSync(artifacts, { recursive: true });
    fs.appendFileSync(path.join(artifacts, 'proxy-log.txt'), `--- ${this.currentTest?.title}\n${logLines().join('\n')}\n`);
    for (const name of httpKeys) await setHttpSetting(name, undefined);
    for (const name of envNames) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  });

  test('the API host resolves nowhere but through the proxy', async () => {
    await assert.rejects(dns.lookup('api.wisgate.test'));
    const { message } = await failure('Without a proxy');
    assert.match(message, /ENOTFOUND|could not be resolved/);
    assert.ok(logLines().some((line) => line.includes(`Network: api.wisgate.test:${server().port} via direct (no http.proxy or HTTPS_PROXY/HTTP_PROXY`)));
  });

  test('with http.proxy set in the user settings, Generate Image… goes through the proxy', async () => {
    await setHttpSetting('proxy', proxy.url);
    const before = server().requests.length;
    const outcome = await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A lighthouse behind a proxy' });
    assert.ok(outcome, 'the command succeeded');
    assert.equal(listImages(assets).length, 1, 'the image was saved');
    assert.equal(server().requests.length, before + 1);
    assert.equal(server().requests.at(-1)!.headers.host, `api.wisgate.test:${server().port}`);
    // The generation, and the balance checks of the cost display (issue #14): all through the proxy.
    assertTunnels(proxy, `CONNECT api.wisgate.test:${server().port} 200`);
    assert.ok(server().requests.some((r) => r.url.endsWith('/images/generations')));
    const lines = logLines();
    assert.ok(lines.includes(`[info] Network: api.wisgate.test:${server().port} via proxy ${proxy.url} from http.proxy`), lines.join('\n'));

  });

  test('HTTPS_PROXY from the environment is used when http.proxy is empty', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    await generate('A lighthouse via HTTPS_PROXY');
    assertTunnels(proxy, `CONNECT api.wisgate.test:${server().port} 200`);
    assert.ok(logLines().some((line) => line.includes(`via proxy ${proxy.url} from HTTPS_PROXY`)));
  });

  test('http.noProxy bypasses the proxy (and the host then resolves nowhere)', async () => {
    await setHttpSetting('proxy', proxy.url);
    await setHttpSetting('noProxy', ['api.wisgate.test']);
    const { message } = await failure('A bypassed proxy');
    assert.match(message, /ENOTFOUND|could not be resolved/);
    assert.deepEqual(proxy.records, []);
    assert.ok(logLines().some((line) => line.includes('via direct (http.noProxy entry "api.wisgate.test")')));
  });

  test('http.proxySupport "off" turns the proxy off', async () => {
    await setHttpSetting('proxy', proxy.url);
    await setHttpSetting('proxySupport', 'off');
    await failure('No proxy support');
    assert.deepEqual(proxy.records, []);
    assert.ok(logLines().some((line) => line.includes('via direct (http.proxySupport is off)')));
  });

  test('a proxy requiring Basic auth works with the credentials in http.proxy; they never reach the log', async () => {
    const withCredentials = authProxy.url.replace('http://', `http://alice:${encodeURIComponent(password)}@`);
    await setHttpSetting('proxy', withCredentials);
    const saved = await generate('A lighthouse with a password');
    assert.equal(saved.files.length, 1);
    assertTunnels(authProxy, 'CONNECT accepted 200', (r) => `${r.method} ${r.auth} ${r.status}`);
    const lines = logLines().join('\n');
    assert.ok(lines.includes(`via proxy ${authProxy.url} from http.proxy with Proxy-Authorization`), lines);
    const basic = Buffer.from(`alice:${password}`).toString('base64');
    for (const secret of [password, encodeURIComponent(password), basic, 'alice']) assert.ok(!lines.includes(secret), `the log holds ${secret}`);
  });

  test('a wrong proxy password fails with a clear 407 message and Open Proxy Settings, without the password', async () => {
    await setHttpSetting('proxy', authProxy.url.replace('http://', 'http://alice:not-the-password@'));
    const { message, actions, raw } = await failure('A lighthouse with a wrong password');
    assert.equal(
      message,
      `The proxy ${authProxy.url} (from http.proxy) rejected the credentials (407): check the user name and password in http.proxy (http://user:password@host:port) or the value of http.proxyAuthorization.`,
    );
    assert.deepEqual(actions, ['openProxySettings', 'showLog']);
    assert.deepEqual(listAll(assets), []);
    for (const text of [message, raw, logLines().join('\n')]) assert.ok(!text.includes('not-the-password'), text);
  });

  test('a proxy that refuses connections is named, with the settings to fix', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await setHttpSetting('proxy', `http://127.0.0.1:${port}`);
    const { message, actions } = await failure('A refused proxy');
    assert.match(message, new RegExp(`^The proxy http://127\\.0\\.0\\.1:${port} \\(from http\\.proxy\\) could not be reached \\(ECONNREFUSED\\)`));
    assert.deepEqual(actions, ['openProxySettings', 'showLog']);
  });

  test('the HTTPS fixture signed by the private CA works when NODE_EXTRA_CA_CERTS names the CA, fails clearly when not', async () => {
    // Direct (loopback) and through the proxy: both use the extension's trust path.
    await setUserSetting('baseUrl', server().baseUrl);
    assert.equal((await generate('Trusted, direct')).files.length, 1);
    assert.ok(logLines().some((line) => line.includes(`1 certificate from NODE_EXTRA_CA_CERTS (${caFile})`)), logLines().join('\n'));
    delete process.env.NODE_EXTRA_CA_CERTS;
    const direct = await failure('Untrusted, direct');
    assert.match(direct.message, /^The server's certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\. .*NODE_EXTRA_CA_CERTS/);
    assert.deepEqual(direct.actions, ['openProxySettings', 'showLog']);
    await setUserSetting('baseUrl', apiBase);
    await setHttpSetting('proxy', proxy.url);
    const proxied = await failure('Untrusted, through the proxy');
    assert.match(proxied.message, /^The server's certificate is not trusted/);
    assertTunnels(proxy, `CONNECT api.wisgate.test:${server().port} 200`);
    assert.deepEqual(listAll(assets).filter((name) => !name.startsWith('.')).length, 1, 'only the trusted generation saved a file');
  });

  test('the Network lines are written once per configuration, not for every generation and balance check', async () => {
    /** The Network lines written since `marker` was logged. */
    const networkSince = (marker: string): string[] => {
      const lines = api.log.recentLines();
      return lines.slice(lines.lastIndexOf(`[info] ${marker}`) + 1).filter((line) => line.includes('Network: '));
    };
    // Configuration A (direct, loopback) in effect, whether or not an earlier test logged it already.
    await setUserSetting('baseUrl', server().baseUrl);
    await api.generation.refreshBalanceNow();
    const toB = `${logStart}: switching to the proxy`;
    api.log.info(toB);
    // Configuration B (through the proxy): two generations and two balance checks, one pair of lines.
    await setUserSetting('baseUrl', apiBase);
    await setHttpSetting('proxy', proxy.url);
    assert.equal((await generate('Counted once')).files.length, 1);
    await api.generation.refreshBalanceNow();
    await api.generation.refreshBalanceNow();
    assert.equal((await generate('Counted once, again')).files.length, 1);
    const proxied = networkSince(toB);
    assert.equal(proxied.length, 2, proxied.join('\n'));
    assert.equal(proxied[0], `[info] Network: api.wisgate.test:${server().port} via proxy ${proxy.url} from http.proxy`);
    assert.match(proxied[1] ?? '', /^\[info\] Network: TLS trusts Node's default CAs, .*1 certificate from NODE_EXTRA_CA_CERTS/);
    // Back to A: its lines again (the log's tail shows the route in effect), once for two checks.
    const toA = `${logStart}: back to direct`;
    api.log.info(toA);
    await setHttpSetting('proxy', undefined);
    await setUserSetting('baseUrl', server().baseUrl);
    await api.generation.refreshBalanceNow();
    await api.generation.refreshBalanceNow();
    const back = networkSince(toA);
    assert.equal(back.length, 2, back.join('\n'));
    assert.match(back[0] ?? '', /Network: 127\.0\.0\.1:\d+ via direct/);
  });

  test('a workspace .vscode/settings.json cannot choose the proxy, exempt hosts or turn certificate checks off', async () => {
    const evil = await startForwardingProxy({ hosts: { 'api.wisgate.test': `127.0.0.1:${server().port}` } });
    const settingsFile = path.join(workspaceRoot(), '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    try {
      await setHttpSetting('proxy', proxy.url);
      fs.writeFileSync(
        settingsFile,
        JSON.stringify({ 'http.proxy': evil.url, 'http.proxyStrictSSL': false, 'http.noProxy': ['*'], 'http.proxySupport': 'off', 'gptImage.quality': 'low' }),
      );
      await waitFor('the workspace settings file to be loaded', () =>
        vscode.workspace.getConfiguration('gptImage').inspect('quality')?.workspaceValue === 'low' ? true : undefined,
      );
      await generate('A lighthouse in a hostile workspace');
      assert.deepEqual(evil.records, [], 'the workspace proxy saw nothing');
      assertTunnels(proxy, `CONNECT api.wisgate.test:${server().port} 200`);
      // VS Code may drop application-scoped values from workspace settings itself; when it shows them, they are ignored and said so.
      if (vscode.workspace.getConfiguration('http').inspect('proxy')?.workspaceValue !== undefined) {
        assert.ok(logLines().some((line) => line.includes('http.proxy in the workspace settings is ignored')), logLines().join('\n'));
      }
      // Without the CA, the workspace's http.proxyStrictSSL false must not let the untrusted server through.
      delete process.env.NODE_EXTRA_CA_CERTS;
      const { message } = await failure('An untrusted server in a hostile workspace');
      assert.match(message, /^The server's certificate is not trusted/);
      assert.deepEqual(evil.records, []);
    } finally {
      fs.rmSync(path.dirname(settingsFile), { recursive: true, force: true });
      await evil.close();
    }
  });

  test('cancelling while the proxy has not answered CONNECT rejects at once and saves nothing', async () => {
    const sockets: Socket[] = [];
    const stalling = createServer((socket) => void sockets.push(socket.resume())).listen(0, '127.0.0.1');
    await once(stalling, 'listening');
    try {
      await setHttpSetting('proxy', `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`);
      const controller = new AbortController();
      const pending = generate('A cancelled lighthouse', controller.signal);
      await waitFor('the CONNECT to reach the stalling proxy', () => (sockets.length > 0 ? true : undefined), 10_000);
      const started = Date.now();
      controller.abort();
      await assert.rejects(pending, (error: unknown) => (error as { kind?: string }).kind === 'cancelled');
      assert.ok(Date.now() - started < 2000, 'rejected promptly');
      await sleep(100);
      assert.deepEqual(listAll(assets), []);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stalling.close(resolve));
    }
  });
});

/** The proxy opened at least one tunnel, and every request it saw was `expected` (generation and balance checks alike). */
function assertTunnels(proxy: ForwardingProxy, expected: string, show = (r: ForwardingProxy['records'][number]) => `${r.method} ${r.target} ${r.status}`): void {
  const seen = proxy.records.map(show);
  assert.ok(seen.length > 0, 'the proxy saw the requests');
  assert.deepEqual(seen, seen.map(() => expected));
}
