// Part 4 of the bench: the production bundle, the .vsix, and a cold require + activate of the bundle.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { median, repoRoot, round, run } from './util.mjs';

const bundle = path.join(repoRoot, 'dist', 'extension.js');
const vsix = path.join(repoRoot, 'gpt-image-studio.vsix');

export async function footprint({ log, pack = true, runs = 15 }) {
  const section = {};
  if (pack) {
    // `npm run package` builds with --production itself (and runs check-types first).
    log('footprint: npm run package…');
    const packed = await run('npm', ['run', 'package'], { timeoutMs: 180_000 });
    if (packed.code === 0 && fs.existsSync(vsix)) {
      section.vsixBytes = fs.statSync(vsix).size;
      section.vsixFiles = vsixListing(packed.stdout);
    } else {
      section.vsixError = `npm run package failed (${packed.code})`;
      log(`${section.vsixError}:\n${(packed.stdout + packed.stderr).slice(-1500)}`);
    }
  }
  if (!pack || section.vsixError) {
    log('footprint: node esbuild.js --production…');
    const built = await run('node', ['esbuild.js', '--production']);
    if (built.code !== 0) throw new Error(`node esbuild.js --production failed:\n${built.stdout}${built.stderr}`);
  }
  const code = fs.readFileSync(bundle);
  section.bundleBytes = code.length;
  section.bundleGzipBytes = gzipSync(code).length;
  // Other bundles next to it (dist/engine.js: undici and the client, loaded on the first generation).
  section.otherBundles = Object.fromEntries(
    fs
      .readdirSync(path.dirname(bundle))
      .filter((name) => name.endsWith('.js') && name !== path.basename(bundle))
      .map((name) => [name, fs.statSync(path.join(path.dirname(bundle), name)).size]),
  );

  log(`footprint: ${runs} cold require + activate runs…`);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const child = await run(process.execPath, [path.join(repoRoot, 'scripts/bench/activate-child.mjs'), repoRoot], { timeoutMs: 30_000 });
    if (child.code !== 0) throw new Error(`activation failed:\n${child.stderr.slice(-2000)}`);
    samples.push(JSON.parse(child.stdout.trim().split('\n').pop()));
  }
  section.activation = {
    requireMs: round(median(samples.map((s) => s.requireMs)), 1),
    activateMs: round(median(samples.map((s) => s.activateMs)), 2),
    totalMs: round(median(samples.map((s) => s.totalMs)), 1),
    engineRequireMs: samples[0].engineRequireMs === undefined ? undefined : round(median(samples.map((s) => s.engineRequireMs)), 1),
    samplesMs: samples.map((s) => round(s.totalMs, 1)),
  };
  return section;
}

/** vsce's "Packaged: … (N files, X KB)" line, if present. */
function vsixListing(stdout) {
  return /Packaged: .*?\((\d+) files?, ([\d.]+ \w+)\)/.exec(stdout)?.slice(1).join(' files, ');
}
