// `node scripts/bench/host-memory.mjs [--reps=N]`: measures, inside the real extension host (code-server's
// Node process, as users run the extension), the peak RSS growth of the client's 2xx body path at n = 10
// 1536x1024, interleaved: the in-memory path (readBody → in-place extractImages, which unusual answers
// still take) and the streaming decode into temp files (the engine's path). Issue #10 asked whether the
// Base64Scan (a GC nudge during readBody, measured in plain Node only) shows its gain in the real host;
// this harness measured it there before it was removed (README, Performance). Compiles nothing: run
// `npx tsc -p tsconfig.test.json` first. Prints medians; writes .bench/host-memory.json.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CodeServer, launchBrowser, makeWorkspace, withTimeout } from '../lib/codeServer.mjs';
import { ensureHarness } from '../lib/harness.mjs';
import { mb, median, repoRoot, round } from './util.mjs';

const require = createRequire(import.meta.url);
const reps = Number(process.argv.find((arg) => arg.startsWith('--reps='))?.split('=')[1] ?? 5);
const log = (line) => console.log(`[host-memory] ${line}`);
const { startFakeImageServer } = require(path.join(repoRoot, 'out/test/fixtures/fakeImageServer.js'));

const fixture = await startFakeImageServer({ realSizedPng: true, promptKeywords: false });
const harness = await ensureHarness();
const server = new CodeServer({ harness, log: () => undefined });
const outFile = path.join(server.runDir, 'host-memory.json');
server.addEnv({
  GPT_IMAGE_REPO: repoRoot,
  GPT_IMAGE_HOST_MEMORY_URL: fixture.baseUrl,
  GPT_IMAGE_HOST_MEMORY_OUT: outFile,
  GPT_IMAGE_HOST_MEMORY_REPS: String(reps),
});
let browser;
try {
  await server.start();
  browser = await launchBrowser({ harness, profileDir: path.join(server.runDir, 'chromium') });
  const { page } = browser;
  const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
  const payload = [
    ['extensionDevelopmentPath', server.remoteUri(repoRoot)],
    ['extensionTestsPath', server.remoteUri(path.join(repoRoot, 'scripts/bench/host/measure-in-host.js'))],
  ];
  log(`${reps} interleaved rounds of inMemory / stream, n=10 1536x1024, in code-server's extension host…`);
  await page.goto(server.workbenchUrl(makeWorkspace(server.runDir), payload), { waitUntil: 'domcontentloaded', timeout: 60_000 });
  const code = await withTimeout(exited, 300_000, 'the measurement in the extension host');
  if (code !== 0 || !fs.existsSync(outFile)) throw new Error(`the measurement failed (exit ${code}):\n${server.describeLogs()}`);
} finally {
  await browser?.context.close().catch(() => undefined);
  await server.stop();
  await fixture.close();
}

const result = JSON.parse(fs.readFileSync(outFile, 'utf8'));
const response = result.samples[0].size;
const summary = { node: result.node, responseBytes: response, reps, variants: {} };
for (const variant of ['inMemory', 'stream']) {
  const runs = result.samples.filter((s) => s.variant === variant);
  summary.variants[variant] = {
    growthMB: mb(median(runs.map((s) => s.growth))),
    growthToResponse: round(median(runs.map((s) => s.growth)) / response, 2),
    sampledGrowthMB: mb(median(runs.map((s) => s.sampledGrowth))),
    ms: round(median(runs.map((s) => s.ms)), 1),
    samplesMB: runs.map((s) => mb(s.growth)),
  };
}
fs.mkdirSync(path.join(repoRoot, '.bench'), { recursive: true });
fs.writeFileSync(path.join(repoRoot, '.bench', 'host-memory.json'), `${JSON.stringify(summary, null, 2)}\n`);
log(`extension host Node ${result.node}; response ${mb(response)} MB`);
for (const [variant, v] of Object.entries(summary.variants)) {
  log(`${variant.padEnd(7)} peak RSS growth ${v.growthMB} MB (${v.growthToResponse}× response; sampled ${v.sampledGrowthMB} MB), ${v.ms} ms; runs ${v.samplesMB.join(', ')}`);
}
fs.rmSync(server.runDir, { recursive: true, force: true });
