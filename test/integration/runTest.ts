import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

/**
 * `npm run test:electron`: the same suite as scripts/run-integration.mjs, in VS Code desktop
 * downloaded by @vscode/test-electron (machines with internet access only).
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const workspace = makeWorkspace();
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: { WISGATE_API_KEY: undefined },
    });
  } finally {
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
}

/** A temp copy of test/fixtures/workspace (when present) in a folder whose name has a space. */
function makeWorkspace(): string {
  const root = path.resolve(__dirname, '../../..');
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gis-')), 'my workspace');
  const fixtures = path.join(root, 'test', 'fixtures', 'workspace');
  if (fs.existsSync(fixtures)) fs.cpSync(fixtures, folder, { recursive: true });
  fs.mkdirSync(folder, { recursive: true });
  const readme = path.join(folder, 'README.md');
  if (!fs.existsSync(readme)) fs.writeFileSync(readme, '# Test workspace\n');
  return folder;
}

main().catch((error: unknown) => {
  console.error('Integration tests failed:', error);
  process.exit(1);
});
