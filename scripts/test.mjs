// `npm test`: build, compile the tests and package the .vsix, then run unit → integration (code-server)
// → e2e (packaged .vsix in code-server + Chromium), streaming each layer's output. Ends with one line per
// layer and, alone on the last line, the total: `N passed, N failed`; above them, the failed tests' titles.
//
// Quick local loops (never in CI): --unit-only, --skip-e2e.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = new Set(process.argv.slice(2));
for (const arg of args) {
  if (!['--unit-only', '--skip-e2e'].includes(arg)) {
    console.error(`unknown option ${arg} (known: --unit-only, --skip-e2e)`);
    process.exit(2);
  }
}
const unitOnly = args.has('--unit-only');
const skipE2e = unitOnly || args.has('--skip-e2e');
const summaries = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-summary-'));

/** Runs a command with inherited output; returns its exit code and wall time. */
function step(title, command, commandArgs) {
  console.log(`\n=== ${title} ===`);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd: repoRoot, stdio: 'inherit' });
  const seconds = (Date.now() - started) / 1000;
  if (result.error) console.error(`${title}: could not start ${command}: ${result.error.message}`);
  return { code: result.status ?? 1, seconds };
}

// package first: its production bundle replaces dist/, which the dev build then restores (with source
// maps) for the integration layer, which loads the extension from this folder. A packaging failure
// fails only the e2e layer, so the other layers still report.
let packaged = true;
if (!unitOnly) packaged = step('package the .vsix', 'npm', ['run', '--silent', 'package']).code === 0;
const prepare = unitOnly ? [['compile tests', 'compile-tests']] : [['build', 'build'], ['compile tests', 'compile-tests']];
for (const [title, script] of prepare) {
  const { code } = step(title, 'npm', ['run', '--silent', script]);
  if (code !== 0) {
    console.error(`\n${title} failed (exit ${code}); no tests ran.`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const layers = [
  {
    name: 'unit',
    command: 'npm',
    args: (summary) => ['run', '--silent', 'test:unit', '--', '--reporter', 'test/summaryReporter.js', '--reporter-option', `summary=${summary}`],
  },
  ...(unitOnly ? [] : [{ name: 'integration', command: process.execPath, args: (summary) => ['scripts/run-integration.mjs', '--no-build', '--summary', summary] }]),
  ...(skipE2e ? [] : [{ name: 'e2e', command: process.execPath, args: (summary) => ['scripts/run-e2e.mjs', '--no-build', '--summary', summary] }]),
];

const results = [];
for (const layer of layers) {
  const summaryFile = path.join(summaries, `${layer.name}.json`);
  if (layer.name === 'e2e' && !packaged) {
    console.log('\n=== e2e tests ===\nnot run: `npm run package` failed (see above)');
    results.push({ name: layer.name, passed: 0, failed: 1, pending: 0, code: 1, seconds: 0, failures: [{ title: 'not run', message: '`npm run package` failed' }] });
    continue;
  }
  const { code, seconds } = step(`${layer.name} tests`, layer.command, layer.args(summaryFile));
  let counts;
  try {
    counts = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  } catch {
    counts = { passed: 0, failed: 0, pending: 0 };
  }
  // A layer that crashed before writing its summary, or whose exit code disagrees with it, counts as failed.
  const failed = Math.max(counts.failed, code !== 0 && counts.failed === 0 ? 1 : 0);
  results.push({ name: layer.name, passed: counts.passed, failed, pending: counts.pending ?? 0, code, seconds, failures: counts.failures ?? [] });
}
fs.rmSync(summaries, { recursive: true, force: true });

// The failures again, at the end: CI keeps only the tail of a long log, and this is the part that matters.
const failures = results.flatMap((r) => r.failures.map((f) => `  ${r.name}: ${f.title}\n      ${String(f.message).split('\n').map((line) => line.trim()).filter(Boolean).slice(0, 4).join(' ').slice(0, 400)}`));
if (failures.length > 0) console.log(`\nfailed tests:\n${failures.join('\n')}`);
console.log('');
let bad = false;
for (const r of results) {
  const problems = [];
  if (r.code !== 0) problems.push(`exit ${r.code}`);
  if (r.passed + r.failed === 0) problems.push('ran no tests');
  if (problems.length > 0) bad = true;
  const pending = r.pending ? `, ${r.pending} pending` : '';
  const note = problems.length ? ` — ${problems.join(', ')}` : '';
  console.log(`${r.name}: ${r.passed} passed, ${r.failed} failed${pending} in ${r.seconds.toFixed(1)} s${note}`);
}
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
if (unitOnly || skipE2e) console.log(`(partial run: ${unitOnly ? '--unit-only' : '--skip-e2e'})`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(bad || failed > 0 ? 1 : 0);
