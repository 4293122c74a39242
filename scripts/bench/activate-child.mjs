// One cold activation: require(dist/extension.js) + activate(fakeContext) in a fresh process, with the
// `vscode` stub. Prints {requireMs, activateMs, totalMs} as JSON. Run by footprint.mjs, many times.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fakeContext, installVscodeStub } from './vscode-stub.mjs';

const root = process.argv[2];
const require = createRequire(import.meta.url);
installVscodeStub();
const context = fakeContext(root);

const t0 = performance.now();
const extension = require(path.join(root, 'dist', 'extension.js'));
const t1 = performance.now();
await extension.activate(context);
const t2 = performance.now();
// What the first generation pays once on top: loading the lazy engine bundle, when there is one.
const engine = path.join(root, 'dist', 'engine.js');
let engineRequireMs;
if (fs.existsSync(engine)) {
  const t3 = performance.now();
  require(engine);
  engineRequireMs = performance.now() - t3;
}
for (const item of context.subscriptions) item?.dispose?.();
process.stdout.write(`${JSON.stringify({ requireMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, engineRequireMs })}\n`);
