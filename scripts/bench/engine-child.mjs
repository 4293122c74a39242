// The engine side of the bench, in its own process so the fixture server (in the parent) neither slows
// it nor pollutes its memory numbers. Forked with IPC; each message runs one operation and answers
// {ok, ...} or {ok: false, error}. Operations:
//   engine   validateRequest + generateAndSave (client, retries, logging, naming, atomic save)
//   minimal  the floor in Node: undici request → JSON.parse → Buffer.from(base64) → writeFile
//   durableMinimal  the same, saved as the engine saves (never a partial file): temp file, fsync, rename
//   rss      one engine run in this fresh process, reporting its peak RSS (getrusage maxRSS) and growth
//   discard  the floor of any reader in Node: undici request → count the body's bytes, keep nothing
//   rssDiscard  one discard run in this fresh process, measured like rss
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { measurePeak, serve } from './measure.mjs';
import { repoRoot } from './util.mjs';

const require = createRequire(import.meta.url);
const { generateAndSave } = require(path.join(repoRoot, 'out/src/core/engine.js'));
const { validateRequest } = require(path.join(repoRoot, 'out/src/core/validate.js'));
const undici = require('undici');

const apiKey = 'sk-bench-0123456789abcdef';
let logLines = 0;
const logger = { info: () => logLines++, warn: () => logLines++, error: () => logLines++ };

async function engine({ baseUrl, n = 1, size = '1024x1024', prompts, workspaceRoot }) {
  await fs.mkdir(workspaceRoot, { recursive: true });
  const started = performance.now();
  const runs = await Promise.all(
    prompts.map((prompt) => {
      const request = validateRequest({ prompt, model: 'gpt-image-2', n, size, quality: 'high', outputFormat: 'png' });
      return generateAndSave(
        request,
        { baseUrl, apiKey, logger, userAgent: 'gpt-image-studio-bench', maxRetries: 2 },
        { kind: 'assets', workspaceRoot, assetsFolder: 'assets' },
      );
    }),
  );
  const ms = performance.now() - started;
  const files = runs.flatMap((run) => run.files);
  const bytes = runs.reduce((sum, run) => sum + run.result.images.reduce((s, image) => s + image.byteLength, 0), 0);
  return { ms, files, bytes };
}

/** The minimal client: one undici request, the whole body through JSON.parse, the first image decoded. */
async function firstImage({ baseUrl, n, size, prompt }) {
  const response = await undici.request(`${baseUrl}/images/generations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-image-2', prompt, n, size, quality: 'high', output_format: 'png' }),
  });
  const json = await response.body.json();
  return Buffer.from(json.data[0].b64_json, 'base64');
}

async function minimal({ baseUrl, n = 1, size = '1024x1024', prompt, file }) {
  const started = performance.now();
  const bytes = await firstImage({ baseUrl, n, size, prompt });
  await fs.writeFile(file, bytes);
  return { ms: performance.now() - started, bytes: bytes.length };
}

async function durableMinimal({ baseUrl, n = 1, size = '1024x1024', prompt, file }) {
  const started = performance.now();
  const bytes = await firstImage({ baseUrl, n, size, prompt });
  const temp = `${file}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    await handle.write(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  return { ms: performance.now() - started, bytes: bytes.length };
}

async function discard({ baseUrl, n = 1, size = '1024x1024', prompt }) {
  const started = performance.now();
  const response = await undici.request(`${baseUrl}/images/generations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-image-2', prompt, n, size, quality: 'high', output_format: 'png' }),
  });
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.length;
  return { ms: performance.now() - started, bytes, files: [] };
}

serve({
  engine,
  minimal,
  durableMinimal,
  discard,
  rss: (message) => measurePeak(() => engine(message)),
  rssDiscard: (message) => measurePeak(() => discard(message)),
});
