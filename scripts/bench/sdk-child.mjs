// The peer a user would pick instead of the engine: the official `openai` SDK used the obvious way
// (images.generate → Buffer.from(b64_json, 'base64') → writeFile per image), in its own process so its
// memory is its own. Forked with IPC by bench.mjs; operations: sdk (one call, timed), rss (one call,
// peak RSS of this fresh process). Nothing of the engine is loaded here.
import fs from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { measurePeak, serve } from './measure.mjs';

const apiKey = 'sk-bench-0123456789abcdef';

async function sdk({ baseUrl, n = 1, size = '1024x1024', prompt, dir }) {
  await fs.mkdir(dir, { recursive: true });
  const started = performance.now();
  const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 2 });
  const response = await client.images.generate({ model: 'gpt-image-2', prompt, n, size, quality: 'high', output_format: 'png' });
  let bytes = 0;
  const files = [];
  for (const [i, item] of response.data.entries()) {
    const image = Buffer.from(item.b64_json, 'base64');
    const file = path.join(dir, `sdk-${Date.now()}-${i}.png`);
    await fs.writeFile(file, image);
    bytes += image.length;
    files.push(file);
  }
  return { ms: performance.now() - started, files, bytes };
}

serve({ sdk, rss: (message) => measurePeak(() => sdk(message)) });
