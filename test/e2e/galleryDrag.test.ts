import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2e } from './context';

/**
 * Issue #15 §3: does a drag of a Studio gallery image reach the text editor's drop (our
 * DocumentDropEditProvider)? The gallery image carries the host's file URI as text/uri-list.
 */
suite('Gallery drag into the editor', function () {
  this.timeout(180_000);
  const prompt = 'A dragged gallery image, ink drawing of a harbour crane';

  test('gallery drag to the editor', async () => {
    const { page, runCommand, screenshot, waitFor, workspace } = e2e();
    const doc = path.join(workspace, 'drag-target.html');
    fs.writeFileSync(doc, '<p>drop here</p>\n');
    await runCommand('Go to File...');
    await page.keyboard.type('drag-target.html');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'drag-target.html' }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await page.locator('.tab.active[aria-label^="drag-target.html"]').first().waitFor({ timeout: 15_000 });
    await runCommand('GPT Image: Open Image Studio');
    const frame = e2e().webviewFrame();
    const generate = frame.getByRole('button', { name: 'Generate', exact: true });
    await generate.waitFor({ state: 'visible', timeout: 30_000 });
    if (await frame.getByText('No API key is set yet.').isVisible()) {
      await frame.getByRole('button', { name: 'Set API Key', exact: true }).click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill('sk-e2e-studio-0123456789');
      await page.keyboard.press('Enter');
    }
    await frame.getByLabel('Prompt', { exact: true }).fill(prompt);
    await frame.getByLabel('Count', { exact: true }).selectOption('1');
    await generate.click();
    const image = frame.getByRole('img', { name: prompt, exact: true }).first();
    await image.waitFor({ timeout: 30_000 });
    assert.equal(await image.getAttribute('draggable'), 'true');

    // What the webview puts on the drag (a real dragstart in the frame, with a DataTransfer).
    // The function runs in the webview page (globalThis there has the DOM's DataTransfer and DragEvent).
    const carried = await image.evaluate((img) => {
      const dom = globalThis as unknown as { DataTransfer: new () => { getData(type: string): string }; DragEvent: new (type: string, init: object) => Event };
      const data = new dom.DataTransfer();
      img.dispatchEvent(new dom.DragEvent('dragstart', { bubbles: true, cancelable: true, dataTransfer: data }));
      return { uris: data.getData('text/uri-list'), text: data.getData('text/plain') };
    });
    console.log('[drag] webview dragstart carried', JSON.stringify(carried));
    assert.match(carried.uris, /^file:\/\/\/.*\/assets\/.*\.png$/);

    // The editor group with the HTML file (the Studio opens beside it).
    const editorLines = page.locator('.editor-instance .monaco-editor .view-lines').first();
    await editorLines.waitFor({ timeout: 10_000 });
    const from = await image.boundingBox();
    const to = await editorLines.boundingBox();
    assert.ok(from && to, 'both boxes');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 10, { steps: 3 });
    await page.mouse.move(to.x + 40, to.y + 30, { steps: 15 });
    await page.keyboard.down('Shift');
    await page.mouse.move(to.x + 42, to.y + 32, { steps: 3 });
    await screenshot('gallery-drag-over-editor');
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await screenshot('gallery-drag-dropped');
    // Observed in code-server: the drag reaches the editor and carries the host's file URI (through VS
    // Code's internal uri-list type; Chromium blocks the file: URL in text/uri-list itself), and the
    // workbench's own uri-list drop inserts the file's absolute path. Our link kind is not offered for
    // this drop (no drop widget, Ctrl+. finds nothing): README "Drag and drop" says so.
    const file = decodeURIComponent(new URL(carried.uris).pathname);
    const dropped = await waitFor(
      async () => {
        // Monaco renders spaces as U+00A0 (the workspace folder's name has one).
        const now = ((await editorLines.textContent()) ?? '').replace(/\u00a0/g, ' ');
        return now.includes(file) ? now : undefined;
      },
      { timeout: 10_000, what: `the dropped file's path ${file} in drag-target.html` },
    );
    console.log('[drag] editor text after the drop:', JSON.stringify(dropped));
    // Leave no unsaved file (a later Close All Editors would stop at the save question) and no hover.
    await runCommand('File: Save All');
    await page.mouse.move(1, 1);
  });

  test('Show Image Info on the generated image reads its prompt back', async () => {
    const { page, runCommand, screenshot, workspace } = e2e();
    const name = fs.readdirSync(path.join(workspace, 'assets')).filter((file) => file.startsWith('a-dragged-gallery-image')).sort().at(-1);
    assert.ok(name, 'the image generated above');
    await runCommand('Go to File...');
    await page.keyboard.type(name);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await page.locator(`.tab.active[aria-label^="${name}"]`).first().waitFor({ timeout: 15_000 });
    await runCommand('GPT Image: Show Image Info');
    const list = page.locator('.quick-input-widget');
    await list.locator('.monaco-list-row', { hasText: 'Reuse Prompt' }).first().waitFor({ timeout: 15_000 });
    await list.getByText(prompt).first().waitFor({ timeout: 5_000 });
    await screenshot('show-image-info');
    // The list is longer than the picker: filter to the C2PA row, as a user would.
    await page.keyboard.type('Credentials');
    await list.locator('.monaco-list-row', { hasText: 'absent' }).first().waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
  });
});
