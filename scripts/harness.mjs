// `npm run harness`: installs Chromium, Node 24 and code-server for the integration and e2e layers
// (once per machine; a second run only checks marker files).
import { ensureHarness, HarnessError } from './lib/harness.mjs';

const started = Date.now();
try {
  const harness = await ensureHarness();
  for (const [name, value] of Object.entries(harness)) console.log(`[harness] ${name}: ${value}`);
  console.log(`[harness] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`[harness] FAILED: ${error instanceof HarnessError ? error.message : error.stack}`);
  process.exit(1);
}
