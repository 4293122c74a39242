// Starts the loopback fake images API (test/fixtures/fakeImageServerMain.ts, compiled to out/) as a
// child process and reads its URL from the line `FAKE_IMAGE_SERVER http://127.0.0.1:PORT/v1`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot, withTimeout } from './codeServer.mjs';

export const fixtureMain = path.join(repoRoot, 'out', 'test', 'fixtures', 'fakeImageServerMain.js');

/**
 * @returns {Promise<{ url: string, stop: () => void }>}
 * Fails loudly when the compiled fixture is missing: tests must never fall back to another URL.
 */
export async function startFixtureServer({ log = (line) => console.log(`[fixture] ${line}`) } = {}) {
  if (!fs.existsSync(fixtureMain)) {
    throw new Error(`${path.relative(repoRoot, fixtureMain)} is missing: run \`npm run compile-tests\` first`);
  }
  const child = spawn(process.execPath, [fixtureMain], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, WISGATE_API_KEY: undefined },
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  const lines = readline.createInterface({ input: child.stdout });
  const url = await withTimeout(
    new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        const match = /^FAKE_IMAGE_SERVER (\S+)/.exec(line);
        if (match) resolve(match[1]);
        else log(line);
      });
      child.once('exit', (code) => reject(new Error(`fake image server exited with ${code} before printing its URL`)));
    }),
    15_000,
    `"FAKE_IMAGE_SERVER <url>" from ${path.relative(repoRoot, fixtureMain)}`,
  ).catch((error) => {
    stop();
    throw error;
  });
  log(`fake image server at ${url}`);
  return { url, stop };
}
