// Renders media/icon.svg to media/icon.png (128x128, transparent corners) with the harness's Chromium,
// so the Marketplace icon is reproducible from its source: `node scripts/render-icon.mjs`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, repoRoot } from './lib/codeServer.mjs';
import { ensureHarness } from './lib/harness.mjs';

const source = path.join(repoRoot, 'media', 'icon.svg');
const target = path.join(repoRoot, 'media', 'icon.png');
const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-image-icon-'));
const harness = await ensureHarness();
const { context, page } = await launchBrowser({ harness, profileDir, viewport: { width: 128, height: 128 } });
try {
  const svg = fs.readFileSync(source, 'utf8');
  await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: target, omitBackground: true });
  console.log(`wrote ${path.relative(repoRoot, target)} (${fs.statSync(target).size} bytes)`);
} finally {
  await context.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
}
