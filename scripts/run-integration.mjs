// `npm run test:integration`: runs test/integration (compiled to out/) inside the real extension host of
// code-server, loading the extension from this folder (extensionDevelopmentPath), via the workbench's
// smoke-test `payload` hook. Same suite as `npm run test:electron`, another launcher.
//
// Options: --no-build (test.mjs has built already), --summary <file> (write the JSON summary there),
//          --timeout <seconds> (whole run; default 300).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CodeServer,
  launchBrowser,
  makeWorkspace,
  repoRoot,
  resetArtifacts,
  screenshot,
  withTimeout,
} from './lib/codeServer.mjs';
import { ensureHarness } from './lib/harness.mjs';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const timeoutSeconds = Number(option('--timeout') ?? 300);
const summaryFile = option('--summary');
const log = (line) => console.log(`[integration] ${line}`);

const testsIndex = path.join(repoRoot, 'out', 'test', 'integration', 'index.js');
const extensionMain = path.join(repoRoot, 'dist', 'extension.js');

if (!args.includes('--no-build')) {
  for (const script of ['build', 'compile-tests']) {
    const result = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: 'inherit' });
    if (result.status !== 0) fail(`npm run ${script} failed`);
  }
}
for (const file of [extensionMain, testsIndex]) {
  if (!fs.existsSync(file)) fail(`${path.relative(repoRoot, file)} is missing: run \`npm run build && npm run compile-tests\``);
}

const started = Date.now();
resetArtifacts('integration');
const harness = await ensureHarness();
const server = new CodeServer({ harness, log: (line) => log(line) });
const reportFile = path.join(server.runDir, 'report.txt');
server.addEnv({ GPT_IMAGE_TEST_REPORT: reportFile, ...(option('--grep') && { GPT_IMAGE_TEST_GREP: option('--grep') }) });
const workspace = makeWorkspace(server.runDir);
let browser;
let exitCode = 1;
let summary;
let printed = 0;

try {
  await server.start();
  browser = await launchBrowser({ harness, profileDir: path.join(server.runDir, 'chromium') });
  const { page } = browser;
  // The workbench calls this when the tests' run() settles: 0 resolved, 1 rejected.
  const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
  const payload = [
    ['extensionDevelopmentPath', server.remoteUri(repoRoot)],
    ['extensionTestsPath', server.remoteUri(testsIndex)],
  ];
  log(`workspace: ${workspace}`);
  await page.goto(server.workbenchUrl(workspace, payload), { waitUntil: 'domcontentloaded', timeout: 60_000 });
  const streaming = setInterval(printNewReportLines, 500);
  try {
    exitCode = await withTimeout(exited, timeoutSeconds * 1000, 'the integration tests to finish (codeAutomationExit)');
  } catch (error) {
    await screenshot(page, 'integration-timeout', { folder: 'integration' }).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(streaming);
    printNewReportLines();
  }
  summary = readSummary();
  if (!summary) throw new Error(`the tests ended (exit ${exitCode}) without a summary in ${reportFile}`);
} catch (error) {
  console.error(`[integration] ERROR: ${error.message}`);
  exitCode = 1;
} finally {
  await browser?.context.close().catch(() => undefined);
  await server.stop();
}

const failed = exitCode !== 0 || !summary || summary.failed > 0;
summary ??= { passed: 0, failed: 1, pending: 0, failures: [{ title: 'integration run', message: 'did not complete' }] };
if (summaryFile) fs.writeFileSync(summaryFile, JSON.stringify(summary));
log(`${summary.passed} passed, ${summary.failed} failed, ${summary.pending} pending in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failed) {
  console.error(`[integration] extension host logs:\n${server.describeLogs()}`);
  process.exit(1);
}
fs.rmSync(server.runDir, { recursive: true, force: true });

function printNewReportLines() {
  if (!fs.existsSync(reportFile)) return;
  const lines = fs.readFileSync(reportFile, 'utf8').split('\n');
  const complete = lines.slice(0, -1); // the last element is an unfinished line (or '')
  for (const line of complete.slice(printed)) if (!line.startsWith('{')) console.log(line);
  printed = complete.length;
}

function readSummary() {
  const lines = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8').trim().split('\n') : [];
  try {
    return JSON.parse(lines.at(-1) ?? '');
  } catch {
    return undefined;
  }
}

function fail(message) {
  console.error(`[integration] ${message}`);
  process.exit(1);
}
