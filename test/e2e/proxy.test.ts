import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { startForwardingProxy, type ForwardingProxy } from '../fixtures/forwardingProxy';
import { testCertificates } from '../fixtures/tls/testCertificates';
import { e2e } from './context';
import { notification } from './pages/notifications';

/**
 * Issue #11 §1 where it was first seen, in the real workbench: VS Code's user setting `http.proxy` points
 * at the loopback forwarding proxy (with credentials in the URL, as many users write it), and the API
 * host `api.wisgate.test` resolves nowhere (.test is reserved) — only the proxy maps it to an HTTPS
 * fixture server signed by the test CA, which run-e2e.mjs trusts through NODE_EXTRA_CA_CERTS as a
 * company's proxy CA would be. Generate Image… from the palette must save the image through the proxy,
 * and the GPT Image log must name the proxy without its password. (Plain `http://` to a non-loopback
 * host is refused by the client, so the API here speaks https.)
 */
suite('Proxy: Generate Image… through http.proxy (issue #11)', function () {
  this.timeout(240_000);

  const apiKey = 'sk-e2e-proxy-0123456789';
  const password = 'e2e-Pr0xy-S3cret';
  const apiHost = 'api.wisgate.test';
  const prompt = 'A lighthouse seen through a proxy, e2e';
  const artifacts = path.resolve(__dirname, '..', '..', '..', '.test-artifacts', 'e2e');
  let server: FakeImageServer;
  let proxy: ForwardingProxy;

  const assetsDir = (): string => path.join(e2e().workspace, 'assets');
  const images = (): string[] => {
    const dir = assetsDir();
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.startsWith('.')).sort() : [];
  };

  suiteSetup(async () => {
    const pki = testCertificates();
    server = await startFakeImageServer({ requireKey: apiKey, tls: { cert: pki.cert, key: pki.key } });
    proxy = await startForwardingProxy({
      hosts: { [apiHost]: `127.0.0.1:${server.port}` },
      auth: { username: 'alice', password },
    });
  });

  suiteTeardown(async () => {
    await Promise.all([proxy?.close(), server?.close()]);
  });

  test('with http.proxy in the user settings, the image is saved through the proxy and the log names it', async () => {
    const { page, reload, runCommand, screenshot, waitFor, writeUserSettings, fixtureUrl, gptImageLog } = e2e();
    const proxyWithCredentials = proxy.url.replace('http://', `http://alice:${password}@`);
    const before = images();
    const logBefore = gptImageLog().length;
    try {
      // As a user edits settings.json; code-server reads the file on reload (see palette.test.ts).
      writeUserSettings({ 'http.proxy': proxyWithCredentials, 'gptImage.baseUrl': `https://${apiHost}/v1` });
      await reload();
      await runCommand('Notifications: Clear All Notifications');
      await runCommand('View: Close All Editors');

      // This suite's key, which the fixture server requires: it reached the API through the tunnel.
      await runCommand('GPT Image: Set API Key');
      await page.locator('.quick-input-widget', { hasText: 'Paste your WisGate API key' }).waitFor({ timeout: 15_000 });
      await page.locator('.quick-input-widget input').fill(apiKey);
      await page.keyboard.press('Enter');
      await notification('API key saved in secret storage', 15_000);
      await runCommand('Notifications: Clear All Notifications');

      await runCommand('GPT Image: Generate Image…');
      await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
      await page.locator('.quick-input-widget input').fill(prompt);
      await page.keyboard.press('Enter');
      await notification(/Saved 1 image to assets\//, 60_000);
      await screenshot('proxy-generate-saved');

      const added = images().filter((name) => !before.includes(name));
      assert.equal(added.length, 1, `one new image in assets/: ${added.join(', ')}`);
      assert.match(added[0], /^a-lighthouse-seen-through-a-proxy-e2e-\d{8}-\d{6}\.png$/);
      assert.equal(fs.readFileSync(path.join(assetsDir(), added[0])).subarray(1, 4).toString('latin1'), 'PNG');

      // The proxy saw the tunnel to the API host, with the credentials from the URL…
      const tunnels = proxy.records.filter((r) => r.method === 'CONNECT' && r.target === `${apiHost}:443`);
      assert.ok(tunnels.length >= 1, `a CONNECT to ${apiHost}:443: ${JSON.stringify(proxy.records)}`);
      assert.ok(tunnels.every((r) => r.status === 200 && r.auth === 'accepted'), JSON.stringify(tunnels));
      // …and the fixture server, reachable only through it, answered the generation.
      const generation = server.requests.find((r) => r.url.endsWith('/images/generations'));
      assert.ok(generation, `the generation reached the API: ${server.requests.map((r) => r.url).join(', ')}`);
      assert.equal(generation.headers.host, apiHost);

      // The GPT Image log names the proxy, where the setting came from and that credentials are sent
      // (as a Proxy-Authorization header), never the user or password.
      const log: string = await waitFor<string>(
        () => {
          const text = gptImageLog().slice(logBefore);
          return text.includes(`Saved `) ? text : '';
        },
        { timeout: 15_000, what: 'the GPT Image log to record the saved image' },
      );
      const lines = log.split('\n').filter((line) => line.trim() !== '');
      const route = `[info] Network: ${apiHost}:443 via proxy ${proxy.url} from http.proxy with Proxy-Authorization`;
      assert.ok(lines.some((line) => line.endsWith(route)), `"${route}" in the log:\n${lines.join('\n')}`);
      assert.ok(!log.includes(password), 'the proxy password is not in the log');
      assert.ok(!log.includes('alice:'), 'the proxy user and password are not in the log');
      assert.ok(!log.includes(apiKey), 'the API key is not in the log');

      // For the closing note: what the proxy saw and what the log said.
      fs.mkdirSync(artifacts, { recursive: true });
      fs.writeFileSync(
        path.join(artifacts, 'proxy-log.txt'),
        [
          '--- e2e: Generate Image… through http.proxy',
          `http.proxy = http://alice:***@127.0.0.1:${proxy.port}, gptImage.baseUrl = https://${apiHost}/v1`,
          '--- forwarding proxy records',
          ...proxy.records.map((r) => `${r.method} ${r.target}${r.path ?? ''} auth=${r.auth} -> ${r.status}`),
          '--- GPT Image log',
          ...lines,
          '',
        ].join('\n'),
      );
    } finally {
      // Later suites get the shared fixture server, direct, as before.
      writeUserSettings({ 'http.proxy': undefined, 'gptImage.baseUrl': fixtureUrl });
      await reload();
      await runCommand('Notifications: Clear All Notifications');
      await runCommand('View: Close All Editors');
    }
  });
});
