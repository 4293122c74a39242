// `npm run bench`: what the extension costs, measured side by side in one run against the loopback
// fixture server (test/fixtures/fakeImageServer.ts) with incompressible PNGs as b64_json. Not part of
// `npm test`; prints a table and writes .bench/results.json, each target an entry of `targets` with
// `value`, `target` and `met`.
//
//   1. overhead     n=1, interleaved rounds of warm in-process contenders: the engine (validate →
//                   generateAndSave), a minimal Node script (undici → JSON.parse → Buffer.from →
//                   writeFile; and the same saving durably, temp → fsync → rename, as context), the official `openai` SDK used the obvious way (images.generate →
//                   Buffer.from → writeFile, its own process) and the seed's `curl | jq | base64 -d`
//                   (a cold process per run, as the engine is warm inside the extension host)
//   2. many         n=10 at 1536x1024 and 3840x2160 (PNGs as large as the real API's): wall time and
//                   peak RSS of fresh processes, engine vs SDK, each process measuring only itself
//   3. concurrency  8 generations at once vs one: latency-dominated (the server thinks 1.5 s first, as
//                   the real API takes seconds) and CPU-bound (zero latency); every file distinct and whole
//   4. footprint    dist/extension.js (production), the .vsix, cold require + activate with a stub vscode
//   preview         time to the first streamed preview vs the final image (scripts/bench/preview.mjs)
//
// Options: --quick (fewer rounds), --only=overhead,many,concurrency,preview,footprint, --no-compile (use out/ as
// is), --no-package (skip `npm run package`), --rounds=N, --profile (engine processes write .cpuprofile
// files to .bench/profiles/, sampled every 100 µs; summarise one with `node scripts/bench/cpuprofile-top.mjs <file>`).
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { footprint } from './bench/footprint.mjs';
import { preview, previewRows } from './bench/preview.mjs';
import { kb, machine, mb, median, repoRoot, round, run, table } from './bench/util.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const quick = flag('quick');
const only = option('only')?.split(',') ?? ['overhead', 'many', 'concurrency', 'preview', 'footprint'];
const rounds = Math.min(Math.max(Number(option('rounds') ?? (quick ? 7 : 25)), 3), 100);
const log = (line) => console.log(`[bench] ${line}`);
const started = performance.now();
const deadline = Date.now() + 8 * 60_000; // a runaway bench stops here, whatever the loops say

const results = { date: new Date().toISOString(), machine: machine(), commit: gitHead(), rounds, targets: {}, sections: {} };
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-bench-'));

if (!flag('no-compile') && only.some((part) => part !== 'footprint')) {
  log('compiling (tsc -p tsconfig.test.json)…');
  const compiled = await run('npx', ['tsc', '-p', 'tsconfig.test.json']);
  if (compiled.code !== 0) log(`tsc reported errors (out/ is still emitted):\n${compiled.stdout.slice(0, 2000)}`);
}

const servers = [];
try {
  if (only.some((part) => part !== 'footprint')) {
    const { startFakeImageServer } = require(path.join(repoRoot, 'out/test/fixtures/fakeImageServer.js'));
    const large = await startFakeImageServer({ large: true, promptKeywords: false });
    const small = await startFakeImageServer({ large: false, promptKeywords: false });
    const sized = await startFakeImageServer({ realSizedPng: true, promptKeywords: false });
    servers.push(large, small, sized);
    const one = await responseBytes(large.baseUrl, 1, '1024x1024');
    results.payload = { responseBytesN1: one, pngBytes: Math.floor(((one - 400) * 3) / 4) };
    log(`fixture server ${large.baseUrl}: n=1 response ${mb(one)} MB of JSON`);
    await section('overhead', () => overhead(large, small));
    await section('concurrency', () => concurrency(large, small));
    await section('many', () => many(sized, small));
    await section('preview', () => preview({ log, rounds: Math.min(rounds, 15), deadline }));
  }
  const f = await section('footprint', () => footprint({ log, pack: !flag('no-package'), runs: quick ? 7 : 15 }));
  if (f) {
    results.targets.bundleSize = { target: '≤ 250 KB', value: kb(f.bundleBytes), met: f.bundleBytes <= 250 * 1024 };
    if (f.vsixBytes) results.targets.vsixSize = { target: '≤ 400 KB (self-set)', value: kb(f.vsixBytes), met: f.vsixBytes <= 400 * 1024 };
    results.targets.activation = { target: '≤ 15 ms', value: f.activation.totalMs, met: f.activation.totalMs <= 15 };
  }
} finally {
  await Promise.all(servers.map((server) => server.close()));
  fs.rmSync(workDir, { recursive: true, force: true });
}

results.totalSeconds = round((performance.now() - started) / 1000, 1);
report(results);
fs.mkdirSync(path.join(repoRoot, '.bench'), { recursive: true });
fs.writeFileSync(path.join(repoRoot, '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
log(`wrote .bench/results.json (${results.totalSeconds} s)`);

/** Runs one part if asked for; a part that fails is recorded (and the run marked failed), the others still run. */
async function section(name, work) {
  if (!only.includes(name)) return undefined;
  try {
    return (results.sections[name] = await work());
  } catch (error) {
    log(`${name} failed: ${error.stack ?? error}`);
    results.errors = { ...results.errors, [name]: String(error.message ?? error).slice(0, 2000) };
    process.exitCode = 1;
    return undefined;
  }
}

// --- 1. overhead --------------------------------------------------------------------------------

async function overhead(large, small) {
  log(`overhead: ${rounds} interleaved rounds of engine / minimal Node (plain, durable) / openai SDK / curl | jq | base64 -d, n=1…`);
  const child = await engineChild();
  const sdkChild = await benchChild('sdk-child.mjs');
  const tools = await curlPipelineAvailable();
  const root = path.join(workDir, 'overhead');
  fs.mkdirSync(root, { recursive: true });
  const curlFile = path.join(root, 'curl.png');
  const minimalFile = path.join(root, 'minimal.png');
  const prompt = 'A lighthouse on a cliff at dawn, watercolor';
  const body = JSON.stringify({ model: 'gpt-image-2', prompt, n: 1, size: '1024x1024', quality: 'high', output_format: 'png' });

  const contenders = {
    engine: async () => {
      const answer = await child.call({ op: 'engine', baseUrl: large.baseUrl, prompts: [prompt], workspaceRoot: root });
      for (const file of answer.files) fs.rmSync(file);
      return answer.ms;
    },
    minimal: async () => (await child.call({ op: 'minimal', baseUrl: large.baseUrl, prompt, file: minimalFile })).ms,
    // Context for the ratio above: the same minimal script saving as the engine does (temp, fsync, rename).
    durableMinimal: async () => (await child.call({ op: 'durableMinimal', baseUrl: large.baseUrl, prompt, file: minimalFile })).ms,
    sdk: async () => {
      const answer = await sdkChild.call({ op: 'sdk', baseUrl: large.baseUrl, prompt, dir: path.join(root, 'sdk') });
      for (const file of answer.files) fs.rmSync(file);
      return answer.ms;
    },
  };
  if (tools.ok) {
    contenders.curl = async () => {
      const result = await curlPipeline(large.baseUrl, body, curlFile);
      if (result.code !== 0) throw new Error(`curl pipeline failed (${result.code}): ${result.stderr}`);
      return result.ms;
    };
  } else {
    log(`curl baseline skipped: ${tools.missing.join(', ')} missing`);
  }
  const names = Object.keys(contenders);
  // Warm-up: connections, JIT, the page cache; then rounds in rotating order (A B C, B C A, C A B …).
  await child.call({ op: 'engine', baseUrl: small.baseUrl, prompts: [prompt], workspaceRoot: path.join(workDir, 'warm') });
  await sdkChild.call({ op: 'sdk', baseUrl: small.baseUrl, prompt, dir: path.join(workDir, 'warm') });
  for (let i = 0; i < 2; i++) for (const name of names) await contenders[name]();
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < rounds && Date.now() < deadline; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      times[name].push(await contenders[name]());
    }
  }
  const curlBytes = tools.ok ? fs.statSync(curlFile).size : undefined;
  await child.close();
  await sdkChild.close();
  const medians = Object.fromEntries(names.map((name) => [name, round(median(times[name]), 2)]));
  const pairRatios = tools.ok ? times.engine.map((t, i) => t / times.curl[i]) : [];
  // The ratios take the median of each round's own ratio: the two runs of a round are seconds apart, so
  // what the machine does meanwhile (another job, the disk flushing) weighs on both; the ratio of the
  // two medians, kept beside it, moved 0.96–1.35 between runs minutes apart.
  const pair = (a, b) => round(median(times[a].map((t, i) => t / times[b][i])), 3);
  const section = {
    n: 1,
    medianMs: medians,
    ratioEngineToCurl: tools.ok ? round(medians.engine / medians.curl, 3) : undefined,
    medianPairRatioEngineToCurl: tools.ok ? round(median(pairRatios), 3) : undefined,
    ratioEngineToMinimalNode: pair('engine', 'minimal'),
    ratioEngineToDurableMinimal: pair('engine', 'durableMinimal'),
    ratioEngineToSdk: pair('engine', 'sdk'),
    ratioOfMedians: {
      engineToMinimalNode: round(medians.engine / medians.minimal, 3),
      engineToDurableMinimal: round(medians.engine / medians.durableMinimal, 3),
      engineToSdk: round(medians.engine / medians.sdk, 3),
    },
    curlFileBytes: curlBytes,
    samplesMs: Object.fromEntries(names.map((name) => [name, times[name].map((t) => round(t, 2))])),
    curlNote:
      'engine / curl compares a warm in-process engine (as inside the extension host) with a cold curl | jq | base64 process per run; ' +
      "as whole processes, Node's start alone makes curl several times faster at n = 1",
  };
  const t = results.targets;
  t.engineToMinimalNode = { target: '≤ 1.10', value: section.ratioEngineToMinimalNode, met: section.ratioEngineToMinimalNode <= 1.1 };
  t.engineToSdkWallN1 = { target: '< 1 (lead kept)', value: section.ratioEngineToSdk, met: section.ratioEngineToSdk < 1 };
  if (tools.ok) {
    t.overheadRatio = {
      target: '≤ 1.10 (warm in-process engine vs cold curl process)',
      value: section.ratioEngineToCurl,
      met: section.ratioEngineToCurl <= 1.1,
    };
  }
  return section;
}

async function curlPipelineAvailable() {
  const missing = [];
  for (const tool of ['curl', 'jq', 'base64']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) missing.push(tool);
  }
  return { ok: missing.length === 0, missing };
}

function curlPipeline(baseUrl, body, file) {
  const script =
    'curl -s -X POST "$URL/images/generations" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" ' +
    `-d "$BODY" | jq -r '.data[0].b64_json' | base64 -d > "$OUT"`;
  return run('sh', ['-c', script], {
    env: { ...process.env, URL: baseUrl, KEY: 'sk-bench-0123456789abcdef', BODY: body, OUT: file },
    timeoutMs: 30_000,
  });
}

// --- 2. many images -----------------------------------------------------------------------------

async function many(sized, small) {
  const n = 10;
  const runs = quick ? 2 : 3;
  const section = { n, sizes: {} };
  for (const size of ['1536x1024', '3840x2160']) {
    const body = await responseBytes(sized.baseUrl, n, size);
    const big = size === '3840x2160';
    // The SDK at 3840x2160 holds ~4x 170 MB: once, for the picture; the target is the engine's.
    const sdkRuns = big ? 1 : runs;
    log(`many: n=${n} ${size}, response ${mb(body)} MB, ${runs} engine and ${sdkRuns} SDK fresh processes, interleaved…`);
    const engine = [];
    const sdk = [];
    const floor = [];
    for (let i = 0; i < Math.max(runs, sdkRuns) && Date.now() < deadline; i++) {
      if (i < runs) engine.push(await freshRun('engine-child.mjs', sized, small, { n, size, prompts: ['A city skyline, ten variations'] }, i));
      if (i < sdkRuns) sdk.push(await freshRun('sdk-child.mjs', sized, small, { n, size, prompt: 'A city skyline, ten variations' }, i));
      if (i < runs) floor.push(await freshRun('floor', sized, small, { n, size, prompt: 'A city skyline, ten variations' }, i));
    }
    const growth = median(engine.map((s) => s.growth));
    const coldGrowth = median(engine.map((s) => s.cold.growth));
    section.sizes[size] = {
      responseBytes: body,
      imageBytes: engine[0]?.bytes,
      engine: summary(engine),
      sdk: summary(sdk),
      floor: summary(floor),
      floorColdGrowthToResponse: round(median(floor.map((s) => s.cold.growth)) / body, 3),
      growthToResponse: round(growth / body, 3),
      coldGrowthToResponse: round(coldGrowth / body, 3),
      ratioPeakRssEngineToSdk: round(median(engine.map((s) => s.peakRss)) / median(sdk.map((s) => s.peakRss)), 3),
      ratioWallEngineToSdk: round(median(engine.map((s) => s.ms)) / median(sdk.map((s) => s.ms)), 3),
    };
  }
  const mid = section.sizes['1536x1024'];
  const top = section.sizes['3840x2160'];
  const t = results.targets;
  // The targets take the first answer in a fresh process: what a user's first large generation costs the
  // extension host. The second answer (memory the first left in the process reused) is in the section.
  // `floor`: the same first answer read by a process that keeps nothing (see freshRun), for reading
  // the target: below the floor no reader in Node can go.
  t.manyRssGrowth = {
    target: '≤ 0.25× response (n=10, 1536x1024; first answer in a fresh process)',
    value: mid.coldGrowthToResponse,
    met: mid.coldGrowthToResponse <= 0.25,
    floor: mid.floorColdGrowthToResponse,
  };
  t.manyRssGrowth4k = {
    target: '≤ 64 MB (n=10, 3840x2160; first answer in a fresh process)',
    value: top.engine.coldPeakRssGrowthMB,
    met: top.engine.coldPeakRssGrowthMB <= 64,
  };
  t.engineToSdkPeakRssN10 = { target: '< 0.6 (n=10, 1536x1024; second answer each)', value: mid.ratioPeakRssEngineToSdk, met: mid.ratioPeakRssEngineToSdk < 0.6 };
  t.engineToSdkWallN10 = { target: '< 1 (lead kept; n=10, 1536x1024)', value: mid.ratioWallEngineToSdk, met: mid.ratioWallEngineToSdk < 1 };
  return section;
}

/**
 * Two measured generations in a fresh child process (warmed on a small answer first), then the child
 * exits. The first ('cold') is what the growth targets take: a user's first large generation in an
 * extension host. It also pays one-time costs of the V8 runtime that are not data of the answer:
 * compiling the hot path (mostly undici's llhttp wasm tiering up to TurboFan) and the young generation
 * filling to its size; scripts/bench/first-answer.mjs measures them apart. The second ('answer', the other
 * figures here) is what one more answer adds once the process has grown for the first; the memory
 * ratio to the SDK compares second answers on both sides.
 *
 * `floor` is the same measure for a reader that keeps nothing (engine-child.mjs `discard`: undici,
 * count the bytes): what any Node process grows for reading that answer, with no JSON, no decoding and
 * no file. Its first answer is the floor under the engine's first-answer figure.
 */
async function freshRun(kind, sized, small, message, i) {
  const script = kind === 'floor' ? 'engine-child.mjs' : kind;
  const child = await benchChild(script, ['--expose-gc']);
  const dir = path.join(workDir, `many-${path.basename(kind, '.mjs')}-${i}`);
  try {
    const common = script === 'sdk-child.mjs' ? { dir } : { workspaceRoot: dir };
    const ops = {
      'sdk-child.mjs': [{ op: 'sdk', prompt: 'warm up' }, 'rss'],
      'engine-child.mjs': [{ op: 'engine', prompts: ['warm up'] }, 'rss'],
      floor: [{ op: 'discard', prompt: 'warm up' }, 'rssDiscard'],
    };
    const [warm, measured] = ops[kind];
    await child.call({ ...warm, ...common, baseUrl: small.baseUrl });
    const cold = await child.call({ ...message, ...common, op: measured, baseUrl: sized.baseUrl });
    const answer = await child.call({ ...message, ...common, op: measured, baseUrl: sized.baseUrl });
    for (const run of [cold, answer]) {
      if (kind !== 'floor' && run.files.length !== message.n) throw new Error(`${kind}: expected ${message.n} files, got ${run.files.length}`);
      if (kind === 'floor' && !(run.bytes > 0)) throw new Error('floor: read nothing');
    }
    return { ...answer, cold: { growth: cold.growth, peakRss: cold.peakRss, ms: cold.ms } };
  } finally {
    await child.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function summary(samples) {
  if (samples.length === 0) return undefined;
  return {
    wallMs: round(median(samples.map((s) => s.ms)), 1),
    rssBeforeMB: mb(median(samples.map((s) => s.rssBefore))),
    peakRssMB: mb(median(samples.map((s) => s.peakRss))),
    peakRssGrowthMB: mb(median(samples.map((s) => s.growth))),
    coldPeakRssGrowthMB: mb(median(samples.map((s) => s.cold.growth))),
    coldPeakRssMB: mb(median(samples.map((s) => s.cold.peakRss))),
    samples: samples.map((s) => ({
      ms: round(s.ms, 1),
      growthMB: mb(s.growth),
      coldGrowthMB: mb(s.cold.growth),
      peakMB: mb(s.peakRss),
      sampledPeak: { rssMB: mb(s.atSampledPeak.rss), heapUsedMB: mb(s.atSampledPeak.heapUsed), arrayBuffersMB: mb(s.atSampledPeak.arrayBuffers) },
    })),
  };
}

// --- 3. concurrency -----------------------------------------------------------------------------

async function concurrency(large, small) {
  const k = 8;
  const reps = quick ? 2 : 3;
  const thinkMs = 1500;
  log(`concurrency: 1 vs ${k} at once, latency-dominated (server thinks ${thinkMs} ms) and CPU-bound (zero latency), ${reps} reps…`);
  const child = await engineChild();
  const root = path.join(workDir, 'concurrency');
  await child.call({ op: 'engine', baseUrl: small.baseUrl, prompts: ['warm up'], workspaceRoot: root });
  const samples = { single: [], parallel: [], samePrompt: [], latencySingle: [], latencyParallel: [] };
  const problems = [];
  const prompts = Array.from({ length: k }, (_, i) => `Concurrent study number ${i + 1}, oil on canvas`);
  const runOnce = async (list, prompts, think) => {
    if (think) large.script(...prompts.map(() => ({ delayMs: thinkMs })));
    const answer = await child.call({ op: 'engine', baseUrl: large.baseUrl, prompts, workspaceRoot: root });
    list.push(answer.ms);
    if (prompts.length > 1) problems.push(...checkFiles(answer.files, prompts.length, answer.bytes / prompts.length));
    clean(answer.files);
  };
  for (let r = 0; r < reps && Date.now() < deadline; r++) {
    await runOnce(samples.latencySingle, [prompts[0]], true);
    await runOnce(samples.latencyParallel, prompts, true);
    await runOnce(samples.single, [prompts[0]], false);
    await runOnce(samples.parallel, prompts, false);
    // The same prompt 8 times in the same second wants the same name 8 times: -1, -2… must sort it out.
    await runOnce(samples.samePrompt, Array(k).fill(prompts[0]), false);
  }
  await child.close();
  const m = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, median(list)]));
  const section = {
    concurrent: k,
    thinkMs,
    latency: { singleMs: round(m.latencySingle, 1), concurrentMs: round(m.latencyParallel, 1), ratioToSingle: round(m.latencyParallel / m.latencySingle, 3) },
    cpuBound: {
      singleMs: round(m.single, 1),
      concurrentMs: round(m.parallel, 1),
      samePromptMs: round(m.samePrompt, 1),
      ratioToSingle: round(m.parallel / m.single, 2),
      perImageMs: round(m.parallel / k, 1),
    },
    nameCollisions: problems.length,
    problems: problems.slice(0, 10),
  };
  const t = results.targets;
  t.concurrencyLatency = { target: '≤ 1.15 (8 at once / one, server thinks 1.5 s)', value: section.latency.ratioToSingle, met: section.latency.ratioToSingle <= 1.15 };
  t.concurrencyNoCollisions = { target: '0 collisions', value: problems.length, met: problems.length === 0 };
  return section;
}

function checkFiles(files, expected, bytesEach) {
  const problems = [];
  if (files.length !== expected) problems.push(`expected ${expected} files, got ${files.length}`);
  if (new Set(files).size !== files.length) problems.push(`duplicate paths: ${files.join(', ')}`);
  for (const file of files) {
    const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
    if (size !== bytesEach) problems.push(`${path.basename(file)}: ${size} bytes, expected ${bytesEach}`);
  }
  return problems;
}

function clean(files) {
  for (const file of files) fs.rmSync(file, { force: true });
}

// --- helpers ------------------------------------------------------------------------------------

function engineChild(execArgv = []) {
  return benchChild('engine-child.mjs', execArgv);
}

/** A forked scripts/bench/<script> with call(message) → answer and close(). */
async function benchChild(script, execArgv = []) {
  if (flag('profile')) execArgv = [...execArgv, '--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${path.join(repoRoot, '.bench', 'profiles')}`];
  const child = fork(path.join(repoRoot, 'scripts/bench', script), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', (message) => {
      if (message.ready) return resolve();
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message);
      else waiter?.reject(new Error(message.error));
    });
  });
  await ready;
  return {
    call: (message) =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        const timer = setTimeout(() => reject(new Error(`${script}: ${message.op} timed out`)), 120_000);
        pending.set(id, {
          resolve: (value) => (clearTimeout(timer), resolve(value)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        child.send({ ...message, id });
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ op: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The size of the server's answer for n images, counted as it streams by (nothing is kept). */
function responseBytes(baseUrl, n, size) {
  const url = new URL(`${baseUrl}/images/generations`);
  const body = JSON.stringify({ model: 'gpt-image-2', prompt: 'measure', n, size, output_format: 'png' });
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The commit measured (git itself: in a worktree .git is a file, not a folder). */
function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function report(all) {
  const { sections: s, targets: t } = all;
  const mark = (target) => (target === undefined ? '' : target.met ? 'met' : 'MISSED');
  const rows = [];
  if (s.overhead) {
    const o = s.overhead;
    rows.push(['1. n=1 engine (validate → generate → decode → save)', `${o.medianMs.engine} ms`, '', '']);
    rows.push(['   minimal Node (undici → JSON.parse → Buffer → writeFile)', `${o.medianMs.minimal} ms`, '', '']);
    rows.push(['   openai SDK (images.generate → Buffer.from → writeFile)', `${o.medianMs.sdk} ms`, '', '']);
    if (o.medianMs.curl !== undefined) rows.push(['   curl | jq | base64 -d > file (cold process per run)', `${o.medianMs.curl} ms`, '', '']);
    rows.push(['   engine / minimal Node', o.ratioEngineToMinimalNode, t.engineToMinimalNode?.target, mark(t.engineToMinimalNode)]);
    if (o.medianMs.durableMinimal !== undefined) {
      rows.push(['   minimal Node saving durably (temp → fsync → rename)', `${o.medianMs.durableMinimal} ms`, '', '']);
      rows.push(['   engine / durable minimal Node', o.ratioEngineToDurableMinimal, '', '']);
    }
    rows.push(['   engine / SDK, wall', o.ratioEngineToSdk, t.engineToSdkWallN1?.target, mark(t.engineToSdkWallN1)]);
    rows.push(['   engine / curl: warm in-process engine vs cold curl process', o.ratioEngineToCurl ?? 'n/a', '≤ 1.10', mark(t.overheadRatio)]);
  }
  if (s.many) {
    for (const [size, m] of Object.entries(s.many.sizes)) {
      const top = size === '3840x2160';
      rows.push([`2. n=${s.many.n} ${size}: response body`, `${mb(m.responseBytes)} MB`, '', '']);
      rows.push(['   engine: wall / peak RSS', `${m.engine.wallMs} ms / ${m.engine.peakRssMB} MB`, '', '']);
      if (m.sdk) rows.push(['   openai SDK: wall / peak RSS', `${m.sdk.wallMs} ms / ${m.sdk.peakRssMB} MB`, '', '']);
      const cold = `${m.engine.coldPeakRssGrowthMB} MB (${m.coldGrowthToResponse}× response)`;
      rows.push(['   engine peak RSS growth, first answer in a fresh process', cold, top ? '≤ 64 MB' : '≤ 0.25×', mark(top ? t.manyRssGrowth4k : t.manyRssGrowth)]);
      rows.push(['   engine peak RSS growth, second answer (reuses what the first grew)', `${m.engine.peakRssGrowthMB} MB (${m.growthToResponse}× response)`, '', '']);
      if (m.floor) {
        const floorCold = `${m.floor.coldPeakRssGrowthMB} MB (${m.floorColdGrowthToResponse}× response)`;
        rows.push(['   floor: read the answer, keep nothing (undici), first answer', floorCold, '', '']);
      }
      if (!top) {
        rows.push(['   engine / SDK, peak RSS', m.ratioPeakRssEngineToSdk, '< 0.6', mark(t.engineToSdkPeakRssN10)]);
        rows.push(['   engine / SDK, wall', m.ratioWallEngineToSdk, '< 1', mark(t.engineToSdkWallN10)]);
      } else if (m.sdk) {
        rows.push(['   engine / SDK, peak RSS', m.ratioPeakRssEngineToSdk, '', '']);
      }
    }
  }
  if (s.concurrency) {
    const c = s.concurrency;
    rows.push([`3. one generation, server thinks ${c.thinkMs} ms`, `${c.latency.singleMs} ms`, '', '']);
    rows.push([`   ${c.concurrent} at once / one (latency-dominated)`, `${c.latency.concurrentMs} ms (${c.latency.ratioToSingle}×)`, '≤ 1.15', mark(t.concurrencyLatency)]);
    rows.push(['   one generation, zero latency (CPU-bound)', `${c.cpuBound.singleMs} ms`, '', '']);
    rows.push([`   ${c.concurrent} at once / one (CPU-bound, 2 cores)`, `${c.cpuBound.concurrentMs} ms (${c.cpuBound.ratioToSingle}×)`, '', '']);
    rows.push([`   ${c.concurrent} at once, same prompt (CPU-bound)`, `${c.cpuBound.samePromptMs} ms`, '', '']);
    rows.push(['   name collisions / broken files', c.nameCollisions, '0', mark(t.concurrencyNoCollisions)]);
  }
  if (s.preview) rows.push(...previewRows(s.preview));
  if (s.footprint) {
    const f = s.footprint;
    rows.push(['4. dist/extension.js (production)', `${kb(f.bundleBytes)} KB (${kb(f.bundleGzipBytes)} KB gz)`, '≤ 250 KB', mark(t.bundleSize)]);
    for (const [name, bytes] of Object.entries(f.otherBundles ?? {})) {
      rows.push([`   dist/${name} (lazy, first generation)`, `${kb(bytes)} KB`, '', '']);
    }
    rows.push(['   gpt-image-studio.vsix', f.vsixBytes ? `${kb(f.vsixBytes)} KB` : `n/a (${f.vsixError ?? 'skipped'})`, '≤ 400 KB (self-set)', mark(t.vsixSize)]);
    rows.push(['   require + activate (stub vscode, cold)', `${f.activation.totalMs} ms (require ${f.activation.requireMs})`, '≤ 15 ms', mark(t.activation)]);
    if (f.activation.engineRequireMs !== undefined) {
      rows.push(['   first generation: require dist/engine.js', `${f.activation.engineRequireMs} ms`, '', '']);
    }
    const real = readE2eActivation();
    if (real) {
      rows.push(['   activation in the real extension host (last e2e run)', `${real.fromHostMs} ms (activate() ${real.activateMs} ms)`, '', '']);
    }
  }
  console.log(`\n${table(rows, ['measure', 'median', 'target', ''])}`);
  if (s.overhead?.curlNote) console.log(`\nNote: ${s.overhead.curlNote}.`);
  if (s.overhead?.ratioOfMedians) {
    const m = s.overhead.ratioOfMedians;
    console.log(
      `The n=1 engine ratios are medians of each round's ratio; as ratios of the medians: / minimal ${m.engineToMinimalNode}, ` +
        `/ durable minimal ${m.engineToDurableMinimal}, / SDK ${m.engineToSdk}.`,
    );
  }
  const m = all.machine;
  console.log(`\n${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}, Node ${m.node}; ${all.rounds} rounds; commit ${all.commit}\n`);
}

/** What the last `npm run test:e2e` measured in code-server's extension host (scripts/run-e2e.mjs). */
function readE2eActivation() {
  try {
    return JSON.parse(fs.readFileSync(path.join(repoRoot, '.test-artifacts', 'activation.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
