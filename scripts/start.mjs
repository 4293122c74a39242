// `npm start [folder] [--fixture]`: builds and packages the extension, installs the fresh .vsix into a
// persistent code-server profile (kept in the harness cache, so your API key and history survive),
// and serves VS Code in the browser on 127.0.0.1:8080 (or the next free port). Ctrl+C stops it.
//   --fixture  use the loopback fake images API instead of WisGate (no key, no cost)
// Without --fixture the default WisGate URL is used and WISGATE_API_KEY passes through from your shell.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CodeServer, freePort, repoRoot, tail } from './lib/codeServer.mjs';
import { startFixtureServer } from './lib/fixtureServer.mjs';
import { cacheRoot, ensureHarness } from './lib/harness.mjs';

const args = process.argv.slice(2);
const useFixture = args.includes('--fixture');
const folderArg = args.find((arg) => !arg.startsWith('--'));
const log = (line) => console.log(`[start] ${line}`);

for (const script of ['package', ...(useFixture ? ['compile-tests'] : [])]) {
  log(`npm run ${script}`);
  const result = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[start] npm run ${script} failed`);
    process.exit(1);
  }
}

const harness = await ensureHarness();
const profileDir = path.join(cacheRoot(), 'start-profile');
const workspace = path.resolve(folderArg ?? path.join(profileDir, 'scratch workspace'));
if (!folderArg && !fs.existsSync(workspace)) {
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'notes.md'), '# Notes\n\nTry **GPT Image: Generate Image…** from the Command Palette.\n');
}
if (!fs.existsSync(workspace)) {
  console.error(`[start] no folder ${workspace}`);
  process.exit(1);
}

const fixture = useFixture ? await startFixtureServer() : undefined;
// A fresh password per start: the server holds your API key and a terminal, and 127.0.0.1 is reachable by
// every local user and process.
const password = crypto.randomBytes(12).toString('base64url');
const server = new CodeServer({
  harness,
  profileDir,
  password,
  // undefined removes a fixture URL a previous `npm start --fixture` left in the profile.
  settings: { 'gptImage.baseUrl': fixture?.url },
  env: { WISGATE_API_KEY: useFixture ? undefined : process.env.WISGATE_API_KEY },
  log,
});
server.installVsix(path.join(repoRoot, 'gpt-image-studio.vsix'));
await server.start({ port: await freePort(8080) });

log(`profile: ${profileDir}`);
log(useFixture ? `images API: fake server at ${fixture.url}` : 'images API: WisGate (gptImage.baseUrl default)');
if (!useFixture && !process.env.WISGATE_API_KEY) log('WISGATE_API_KEY is not set: use "GPT Image: Set API Key" in VS Code');
console.log(`\nOpen ${server.workbenchUrl(workspace)}\nPassword: ${password}\n(Ctrl+C to stop)`);

// Ctrl+C: the launcher's exit handler kills code-server's process group and the fixture server.
process.once('exit', () => fs.rmSync(server.runDir, { recursive: true, force: true }));
server.process.once('exit', (code) => {
  console.error(`[start] code-server exited (${code}):\n${tail(server.outputFile, 30)}`);
  process.exit(1);
});
