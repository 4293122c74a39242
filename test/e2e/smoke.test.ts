import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { e2e } from './context';

suite('Smoke: the packaged extension in code-server', () => {
  test('the workbench loads with the extension installed from the .vsix', async () => {
    const { extensionsDir, page, screenshot } = e2e();
    const installed = fs.readdirSync(extensionsDir).filter((name) => name.startsWith('gpt-image-studio.gpt-image-studio-'));
    assert.equal(installed.length, 1, `expected one installed copy in ${extensionsDir}, found ${installed.join(', ') || 'none'}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot('workbench-loaded');
  });

  test('GPT Image: Show Log opens the GPT Image output channel', async () => {
    const { page, runCommand, screenshot } = e2e();
    await runCommand('GPT Image: Show Log');
    const panel = page.locator('.part.panel');
    await panel.waitFor({ state: 'visible', timeout: 15_000 });
    // The Output view's channel picker is a select box in the panel's title bar.
    const picker = panel.locator('select.monaco-select-box');
    await e2e().waitFor(
      async () => (await picker.count()) > 0 && (await picker.first().inputValue()) === 'GPT Image',
      { timeout: 15_000, what: 'the Output panel to show the "GPT Image" channel' },
    );
    await screenshot('show-log-output-channel');
  });
});

