// Where the first n=10 answer's memory goes (issue #11 §3): fresh processes, each warmed on a small
// answer, then two n=10 1536x1024 answers, run with and without V8's tiering and a small young
// generation. Diagnostic only (not in `npm run bench`; V8 flags cannot be set for an extension host):
//   node scripts/bench/first-answer.mjs [runs]      (after `npx tsc -p tsconfig.test.json`)
// Measured (Node 20, 2 cores, loaded): first answer 22 MB by default; 8.4–9 MB with
// --liftoff-only --no-opt --no-sparkplug (compiling the hot path, mostly undici's llhttp wasm parser
// tiering up to TurboFan, is ~13 MB); 2.6 MB when the young generation is also kept at 1 MB (~6 MB is
// V8's new space filling to its size). The answer's own data (chunks, buffers) is the last 2.6 MB.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot } from './util.mjs';

const runs = Number(process.argv[2] ?? 2);
const child = process.argv[2] === '--child';
if (child) {
  const require = createRequire(import.meta.url);
  const { generateAndSave } = require(path.join(repoRoot, 'out/src/core/engine.js'));
  const { validateRequest } = require(path.join(repoRoot, 'out/src/core/validate.js'));
  const [, , , small, big, dir] = process.argv;
  const hwm = () => Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const logger = { info: () => {}, warn: () => {}, error: () => {} };
  const generate = async (baseUrl, n, size) => {
    const request = validateRequest({ prompt: 'A city skyline', model: 'gpt-image-2', n, size, quality: 'high', outputFormat: 'png' });
    const saved = await generateAndSave(request, { baseUrl, apiKey: 'sk-bench-0123456789abcdef', logger, maxRetries: 0 }, { kind: 'assets', workspaceRoot: dir, assetsFolder: 'assets' });
    for (const file of saved.files) fs.rmSync(file);
  };
  await generate(small, 1, '1024x1024');
  const growth = [];
  for (let i = 0; i < 2; i++) {
    globalThis.gc();
    globalThis.gc();
    const before = process.memoryUsage().rss;
    fs.writeFileSync('/proc/self/clear_refs', '5');
    await generate(big, 10, '1536x1024');
    growth.push(Math.round(((hwm() - before) / 1048576) * 100) / 100);
  }
  process.send(growth);
} else {
  const require = createRequire(import.meta.url);
  const { startFakeImageServer } = require(path.join(repoRoot, 'out/test/fixtures/fakeImageServer.js'));
  const sized = await startFakeImageServer({ realSizedPng: true, promptKeywords: false });
  const small = await startFakeImageServer({ large: false, promptKeywords: false });
  const variants = {
    default: [],
    'no tiering': ['--liftoff-only', '--no-opt', '--no-sparkplug'],
    'no tiering, 1 MB semi-space': ['--liftoff-only', '--no-opt', '--no-sparkplug', '--max-semi-space-size=1'],
  };
  try {
    for (const [name, flags] of Object.entries(variants)) {
      for (let i = 0; i < runs; i++) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-first-'));
        const proc = fork(new URL(import.meta.url).pathname, ['--child', small.baseUrl, sized.baseUrl, dir], { execArgv: ['--expose-gc', ...flags] });
        const [first, second] = await new Promise((resolve, reject) => {
          proc.once('message', resolve);
          proc.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
        });
        proc.kill();
        fs.rmSync(dir, { recursive: true, force: true });
        console.log(`${name.padEnd(28)} first answer +${first} MB, second +${second} MB`);
      }
    }
  } finally {
    await sized.close();
    await small.close();
  }
}
