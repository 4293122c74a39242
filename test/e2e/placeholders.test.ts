import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2e } from './context';

/**
 * Issue #15 §2 in the real workbench: a Markdown file written with image placeholders shows the
 * CodeLenses, Generate all asks with the cost estimate, and both links are filled in place. (The key
 * was set by the palette suite, which runs first in this browser profile.)
 */
suite('Placeholders: write first, fill the images later', function () {
  this.timeout(180_000);
  const file = 'launch-post.md';
  const text = [
    '# Launch post',
    '',
    '![A lighthouse at dusk, watercolor, wide shot](gpt-image: "1536x1024 low")',
    '',
    'Our new release ships today.',
    '',
    '![A paper boat on a puddle, macro photo]()',
    '',
  ].join('\n');

  const images = (): string[] => {
    const dir = path.join(e2e().workspace, 'assets');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.startsWith('.')) : [];
  };

  suiteSetup(() => {
    fs.writeFileSync(path.join(e2e().workspace, file), text);
  });

  test('the CodeLenses show, Generate all confirms the estimate, and both links are filled', async () => {
    const { page, runCommand, screenshot, waitFor } = e2e();
    await runCommand('View: Close All Editors');
    const before = images();
    await runCommand('Go to File...');
    await page.keyboard.type(file);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: file }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await page.locator(`.tab.active[aria-label^="${file}"]`).waitFor({ timeout: 15_000 });

    const all = page.locator('.codelens-decoration a', { hasText: 'Generate all 2 images' });
    await all.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.locator('.codelens-decoration a', { hasText: /^Generate image$/ }).count(), 2);
    await screenshot('placeholders-codelens');

    await all.click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await dialog.textContent()) ?? '', /Generate 2 images for launch-post\.md\?.*Estimated cost: .*\$/s);
    await screenshot('placeholders-cost-confirmation');
    await dialog.getByRole('button', { name: 'Generate 2 Images', exact: true }).click();

    // The model's text, not the rendered lines (a long path wraps): save and read the file.
    const onDisk = (): string => fs.readFileSync(path.join(e2e().workspace, file), 'utf8');
    await waitFor(
      async () => {
        await page.keyboard.press('Control+S');
        return onDisk().includes('](assets/a-paper-boat') && onDisk().includes('](assets/a-lighthouse');
      },
      { timeout: 90_000, what: 'both placeholders filled (saved to disk)', interval: 2000 },
    );
    const added = images().filter((name) => !before.includes(name));
    assert.equal(added.length, 2, added.join(', '));
    assert.equal(await page.locator('.codelens-decoration a', { hasText: 'Generate image' }).count(), 0, 'no placeholder left');
    await screenshot('placeholders-filled');

    // The filled file as a reader sees it: the landscape and the square image, in the preview.
    await runCommand('Markdown: Open Preview to the Side');
    const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const pictures = preview.locator('img');
    await waitFor(async () => (await pictures.count()) === 2, { timeout: 30_000, what: 'two images in the Markdown preview' });
    await waitFor(() => pictures.nth(0).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth === 1536), {
      timeout: 15_000,
      what: 'the landscape image loaded at 1536 px wide',
    });
    await screenshot('placeholders-filled-preview');
    await runCommand('View: Close All Editors');
  });
});
