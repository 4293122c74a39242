// `npm run test:e2e`: the packaged extension as a user gets it. Installs gpt-image-studio.vsix into a
// fresh code-server profile whose gptImage.baseUrl points at the fake images API, opens the workbench
// in headless Chromium, then runs the mocha (tdd) suites out/test/e2e/*.test.js in this Node process;
// they reach the page and helpers through test/e2e/context.ts.
//
// Options: --no-build (test.mjs has built, compiled and packaged already), --summary <file>, --grep <pattern>.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  artifactsRoot,
  CodeServer,
  lastScreenshot,
  launchBrowser,
  makeWorkspace,
  openWorkbench,
  reloadWorkbench,
  repoRoot,
  resetArtifacts,
  runCommand,
  screenshot,
  tail,
  waitFor,
  webviewFrame,
} from './lib/codeServer.mjs';
import { startFixtureServer } from './lib/fixtureServer.mjs';
import { ensureHarness } from './lib/harness.mjs';

const args = process.argv.slice(2);
const summaryFile = args.includes('--summary') ? args[args.indexOf('--summary') + 1] : undefined;
const log = (line) => console.log(`[e2e] ${line}`);
const vsix = path.join(repoRoot, 'gpt-image-studio.vsix');
const e2eDir = path.join(repoRoot, 'out', 'test', 'e2e');
const require = createRequire(import.meta.url);

if (!args.includes('--no-build')) {
  npmRun('compile-tests');
  if (vsixIsStale()) npmRun('package');
  else log('gpt-image-studio.vsix is up to date');
}
const testFiles = fs.existsSync(e2eDir)
  ? fs.readdirSync(e2eDir).filter((name) => name.endsWith('.test.js')).sort().map((name) => path.join(e2eDir, name))
  : [];
if (testFiles.length === 0) fail(`no compiled e2e tests in ${path.relative(repoRoot, e2eDir)}: run \`npm run compile-tests\``);
if (!fs.existsSync(vsix)) fail('gpt-image-studio.vsix is missing: run `npm run package`');

const started = Date.now();
resetArtifacts('e2e');
const harness = await ensureHarness();
const fixture = await startFixtureServer();
const workspace = { path: '' };
const server = new CodeServer({
  harness,
  settings: { 'gptImage.baseUrl': fixture.url },
  // The test PKI's CA (name-constrained to localhost and .test names), trusted the way a company's
  // TLS-inspecting proxy CA is: the proxy suite's HTTPS fixture behind http.proxy is signed by it.
  env: { NODE_EXTRA_CA_CERTS: path.join(repoRoot, 'test', 'fixtures', 'tls', 'ca.pem') },
  log: (line) => log(line),
});
let browser;
let summary;

try {
  workspace.path = makeWorkspace(server.runDir, { 'notes.md': '# Notes\n\nSome text.\n' });
  server.installVsix(vsix);
  await server.start();
  browser = await launchBrowser({ harness, profileDir: path.join(server.runDir, 'chromium') });
  const { page } = browser;
  const url = server.workbenchUrl(workspace.path);
  await openWorkbench(page, url);
  log(`workbench restored on ${workspace.path}`);

  globalThis.__gptImageE2E = {
    page,
    browser: browser.context,
    workspace: workspace.path,
    fixtureUrl: fixture.url,
    extensionsDir: server.extensionsDir,
    writeUserSettings: (settings) => server.writeUserSettings(settings),
    runCommand: (title, options) => runCommand(page, title, options),
    webviewFrame: () => webviewFrame(page),
    screenshot: (name) => screenshot(page, name),
    reload: () => reloadWorkbench(page),
    waitFor,
    extensionHostLog: () => server.extensionHostLogs().map((file) => tail(file, 60)).join('\n'),
    gptImageLog: () =>
      server
        .extensionHostLogs()
        .filter((file) => /gpt-image-studio/.test(file))
        .reverse()
        .map((file) => fs.readFileSync(file, 'utf8'))
        .join(''),
  };
  summary = await runMocha(page);
} catch (error) {
  console.error(`[e2e] ERROR: ${error.stack ?? error.message}`);
  if (browser) await screenshot(browser.page, 'setup-failure').catch(() => undefined);
} finally {
  await browser?.context.close().catch(() => undefined);
  await server.stop();
  fixture.stop();
}

const activation = server.activationTime();
if (activation) {
  log(`activation in the real extension host: ${activation.fromHostMs} ms from the host's start to our "activated" line (activate() itself ${activation.activateMs} ms)`);
  fs.writeFileSync(path.join(artifactsRoot, 'activation.json'), JSON.stringify({ ...activation, measuredAt: new Date().toISOString() }));
}

summary ??= { passed: 0, failed: 1, pending: 0, failures: [{ title: 'e2e setup', message: 'did not complete' }] };
if (summaryFile) fs.writeFileSync(summaryFile, JSON.stringify(summary));
log(`${summary.passed} passed, ${summary.failed} failed, ${summary.pending} pending in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (summary.failed > 0) {
  console.error(`[e2e] last screenshot: ${lastScreenshot() || '(none)'}`);
  console.error(`[e2e] extension host logs:\n${server.describeLogs()}`);
  process.exit(1);
}
fs.rmSync(server.runDir, { recursive: true, force: true });

async function runMocha(page) {
  const Mocha = require('mocha');
  const SummaryReporter = require(path.join(repoRoot, 'test', 'summaryReporter.js'));
  const file = path.join(server.runDir, 'e2e-summary.json');
  const mocha = new Mocha({
    ui: 'tdd',
    timeout: 60_000,
    reporter: SummaryReporter,
    reporterOptions: { summary: file },
    // `--grep TEXT` runs only the tests whose titles match (narrow runs while working).
    ...(args.includes('--grep') && { grep: args[args.indexOf('--grep') + 1] }),
    rootHooks: {
      async afterEach() {
        if (this.currentTest?.state === 'failed') {
          const shot = await screenshot(page, `FAILED-${this.currentTest.title}`).catch(() => undefined);
          if (shot) console.error(`      screenshot: ${shot}`);
        }
      },
    },
  });
  for (const testFile of testFiles) mocha.addFile(testFile);
  await new Promise((resolve) => mocha.run(resolve));
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The .vsix is stale when anything that goes into it is newer. */
function vsixIsStale() {
  if (!fs.existsSync(vsix)) return true;
  const built = fs.statSync(vsix).mtimeMs;
  const inputs = ['package.json', 'esbuild.js', 'README.md', 'CHANGELOG.md', '.vscodeignore', 'src', 'media'];
  const newer = (entry) => {
    const file = path.join(repoRoot, entry);
    if (!fs.existsSync(file)) return false;
    const stat = fs.statSync(file);
    if (!stat.isDirectory()) return stat.mtimeMs > built;
    return fs.readdirSync(file, { recursive: true }).some((name) => {
      const child = path.join(file, String(name));
      return !/panel\.js(\.map)?$/.test(child) && fs.statSync(child).mtimeMs > built;
    });
  };
  return inputs.some(newer);
}

function npmRun(script) {
  log(`npm run ${script}`);
  const result = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) fail(`npm run ${script} failed`);
}

function fail(message) {
  console.error(`[e2e] ${message}`);
  process.exit(1);
}
