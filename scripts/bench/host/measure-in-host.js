// Runs INSIDE the real extension host (code-server's Node process), loaded through the workbench's
// `extensionTestsPath` hook by scripts/bench/host-memory.mjs: the 2xx body path of the client three
// ways on the same answers, interleaved, and the peak RSS growth of each (VmHWM after resetting it
// through /proc/self/clear_refs, and a 5 ms sampler): `inMemory` (readBody, then the in-place
// extractImages: the path of unusual answers) and `stream` (readImagesStreaming into temp files, the
// engine's path). Until issue #11 a third variant ran readBody with Base64Scan (see the README's
// performance section for what it measured); the scan was removed. Writes JSON to $GPT_IMAGE_HOST_MEMORY_OUT.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = process.env.GPT_IMAGE_REPO;
const out = path.join(repo, 'out', 'src', 'core', 'api');
const { request } = require(path.join(repo, 'node_modules', 'undici'));
const { readBody } = require(path.join(out, 'responseBody.js'));
const { extractImages } = require(path.join(out, 'base64Images.js'));
const { readImagesStreaming, removeSpooled } = require(path.join(out, 'streamingImages.js'));

function highWaterMark() {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(match[1]) * 1024;
}

async function once(variant, url, n, dir) {
  const response = await request(url, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-host-0123456789abcdef', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-image-2', prompt: 'memory in the host', n, size: '1536x1024' }),
  });
  const declared = Number(response.headers['content-length']);
  const overflow = () => new Error('too large');
  if (variant === 'stream') {
    const body = await readImagesStreaming(response.body, 1e9, overflow, { dir }, n);
    if (body.kind !== 'spooled') throw new Error('not streamed');
    await removeSpooled(body.files.values());
    return body.size;
  }
  const bytes = await readBody(response.body, 1e9, overflow, declared);
  const extracted = extractImages(bytes, n);
  if (!extracted || extracted.images.size !== n) throw new Error('not extracted');
  return bytes.length;
}

async function measure(variant, url, n, dir) {
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the host settle between runs
  const before = process.memoryUsage().rss;
  fs.writeFileSync('/proc/self/clear_refs', '5');
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const size = await once(variant, url, n, dir);
  const ms = performance.now() - started;
  clearInterval(timer);
  const peak = highWaterMark();
  return { variant, ms, size, growth: peak - before, sampledGrowth: sampled - before };
}

exports.run = async function run() {
  const url = `${process.env.GPT_IMAGE_HOST_MEMORY_URL}/images/generations`;
  const reps = Number(process.env.GPT_IMAGE_HOST_MEMORY_REPS || 5);
  const n = 10;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-memory-'));
  const variants = ['inMemory', 'stream'];
  const samples = [];
  try {
    for (const variant of variants) await once(variant, url, 1, dir); // warm the code paths
    for (let r = 0; r < reps; r++) {
      // Rotating order, so no variant always runs right after the same one.
      for (let k = 0; k < variants.length; k++) samples.push(await measure(variants[(r + k) % variants.length], url, n, dir));
    }
    fs.writeFileSync(process.env.GPT_IMAGE_HOST_MEMORY_OUT, JSON.stringify({ node: process.version, execArgv: process.execArgv, samples }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
