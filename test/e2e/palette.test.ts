import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeImageServer } from '../fixtures/fakeImageServer';
import { e2e } from './context';
import { notification } from './pages/notifications';
import { openStudio } from './pages/studio';

/**
 * The command palette flow as a new user meets it: Set API Key → open a Markdown file → Generate Image…
 * → the image in assets/ and the link at the cursor → a rejected key offers Set API Key → a relay's
 * `[label](command:…)` in an error message is shown as text, never as a link.
 */
suite('Command palette: key, generate, insert', function () {
  this.timeout(180_000);

  const prompt = 'A beautiful sunset over a calm ocean, cinematic lighting';
  const file = 'palette.md';

  function assetsDir(): string {
    return path.join(e2e().workspace, 'assets');
  }

  function images(): string[] {
    const dir = assetsDir();
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.startsWith('.')).sort() : [];
  }

  async function clearNotifications(): Promise<void> {
    await e2e().runCommand('Notifications: Clear All Notifications');
  }

  suiteSetup(() => {
    fs.writeFileSync(path.join(e2e().workspace, file), '# Palette\n\n');
  });

  test('Set API Key stores the key from a password box', async () => {
    const { page, runCommand, screenshot } = e2e();
    await runCommand('GPT Image: Set API Key');
    // The palette's input is reused by the key box: wait until it is ours before checking it.
    await page.locator('.quick-input-widget', { hasText: 'Paste your WisGate API key' }).waitFor({ timeout: 15_000 });
    const input = page.locator('.quick-input-widget input');
    // Masked either as <input type=password> or with -webkit-text-security, depending on the VS Code version.
    const masked = await input.evaluate((element) => {
      const page = globalThis as unknown as { getComputedStyle(e: unknown): { getPropertyValue(p: string): string } };
      const textSecurity = page.getComputedStyle(element).getPropertyValue('-webkit-text-security');
      return (element as unknown as { type: string }).type === 'password' || textSecurity === 'disc';
    });
    assert.ok(masked, 'the key is typed into a masked password box');
    await input.fill('sk-e2e-palette-0123456789');
    await screenshot('palette-set-api-key');
    await page.keyboard.press('Enter');
    await notification('API key saved in secret storage', 15_000);
    await screenshot('palette-api-key-saved');
    await clearNotifications();
  });

  test('Generate Image… in a Markdown file saves into assets/ and inserts the link at the cursor', async () => {
    const { page, runCommand, screenshot, waitFor, workspace } = e2e();
    const before = images();
    await runCommand('Go to File...');
    await page.keyboard.type(file);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: file }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await page.locator(`.tab.active[aria-label^="${file}"]`).waitFor({ timeout: 15_000 });
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.locator('.statusbar', { hasText: 'Ln 3, Col 1' }).waitFor({ timeout: 5_000 });

    await runCommand('GPT Image: Generate Image…');
    await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
    const input = page.locator('.quick-input-widget input');
    assert.match((await input.getAttribute('placeholder')) ?? '', /subject \+ style \+ composition \+ key details/i);
    await input.fill(prompt);
    await screenshot('palette-generate-prompt');
    // Options… (the gear) changes the size for this generation; the typed prompt is kept.
    await page.locator('.quick-input-widget [aria-label^="Options"]').first().click();
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Size' }).first().click();
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Landscape 1536×1024' }).first().click();
    await page.locator('.quick-input-widget', { hasText: 'Landscape 1536×1024 · Auto quality' }).waitFor({ timeout: 10_000 });
    assert.equal(await input.inputValue(), prompt);
    await screenshot('palette-generate-options');
    await page.keyboard.press('Enter');

    // insertAfterGenerate "always" (the default, issue #15): the link goes in without any click; the
    // notification, toast or not, only offers Open and Reveal as follow-ups.
    const saved = await notification(/Saved 1 image to assets\/ and inserted a link/, 30_000);
    const added = images().filter((name) => !before.includes(name));
    assert.equal(added.length, 1, `one new image in assets/: ${added.join(', ')}`);
    assert.match(added[0], /^a-beautiful-sunset-over-a-calm-ocean-cinematic-\d{8}-\d{6}\.png$/);
    const bytes = fs.readFileSync(path.join(assetsDir(), added[0]));
    assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    for (const label of ['Open', 'Reveal in Explorer']) {
      await saved.getByRole('button', { name: label, exact: true }).waitFor({ timeout: 5_000 });
    }
    assert.equal(await saved.getByRole('button', { name: 'Insert', exact: true }).count(), 0, 'inserted already');
    await screenshot('palette-saved-notification');

    const expected = `![${prompt}](assets/${added[0]})`;
    await waitFor(
      async () => {
        const text = (await page.locator('.editor-instance .monaco-editor .view-lines').first().textContent()) ?? '';
        return text.replace(/\u00a0/g, ' ').includes(expected);
      },
      { timeout: 15_000, what: `"${expected}" in the editor` },
    );
    await screenshot('palette-link-inserted');
    await page.keyboard.press('Control+S');
    const onDisk = await waitFor(
      () => {
        const text = fs.readFileSync(path.join(workspace, file), 'utf8');
        return text.includes('![') ? text : undefined;
      },
      { timeout: 10_000, what: `${file} saved with the link` },
    );
    assert.equal(onDisk, `# Palette\n\n${expected}`);
  });

  test('Cancel in the progress notification aborts the request and saves nothing', async () => {
    const { page, runCommand, screenshot, waitFor } = e2e();
    const before = images();
    await clearNotifications();
    await runCommand('GPT Image: Generate Image…');
    await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill('A very slow sketch [slow:20000]');
    await page.keyboard.press('Enter');
    const progress = await notification(/Generating 1 image/, 15_000);
    await screenshot('palette-generating');
    await progress.getByRole('button', { name: 'Cancel', exact: true }).click();
    await waitFor(async () => !(await progress.isVisible()), { timeout: 10_000, what: 'the progress notification to close' });
    // The request itself was aborted (the fake server would answer only after 20 s).
    await waitFor(() => e2e().extensionHostLog().includes('Generation cancelled by the user'), {
      timeout: 10_000,
      what: 'the GPT Image log to record the cancellation',
    });
    assert.deepEqual(images(), before, 'nothing written');
    const all = page.locator('.notifications-toasts .notification-toast, .notifications-center .monaco-list-row');
    assert.equal(await all.filter({ hasText: /failed|error|rejected/i }).count(), 0, 'cancelling is not an error');
    assert.equal(fs.readdirSync(assetsDir()).filter((name) => name.startsWith('.')).length, 0, 'no temp files');
  });

  test('a rejected key (401) shows the error with Set API Key and saves nothing', async () => {
    const { page, runCommand, screenshot } = e2e();
    const before = images();
    await clearNotifications();
    await runCommand('GPT Image: Generate Image…');
    await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
    const input = page.locator('.quick-input-widget input');
    await input.fill('A cat in a box [401]');
    await page.keyboard.press('Enter');
    const error = await notification(/API key was rejected/, 30_000);
    await error.getByRole('button', { name: 'Set API Key', exact: true }).waitFor({ timeout: 5_000 });
    await error.getByRole('button', { name: 'Show Log', exact: true }).waitFor({ timeout: 5_000 });
    await screenshot('palette-error-401');
    assert.deepEqual(images(), before, 'nothing written');
    await clearNotifications();
  });

  test('an error text with a command link from a relay is shown as plain text, not a link (issue #9)', async () => {
    const { page, reload, runCommand, screenshot, writeUserSettings, fixtureUrl } = e2e();
    const link =
      '[Verify key](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)';
    const hostileText = `Your key must be re-verified. ${link}`;
    // A relay of our own for this test: the shared fixture server runs in another process and cannot
    // be scripted from here. The user setting points at it, as a user's would; code-server does not
    // notice settings.json changing on disk here, so the window reloads to read it.
    const relay = await startFakeImageServer();
    relay.script({ status: 400, error: { message: hostileText, type: 'invalid_request_error' } });
    const before = images();
    try {
      writeUserSettings({ 'gptImage.baseUrl': relay.baseUrl });
      await reload();
      await clearNotifications();
      await runCommand('GPT Image: Generate Image…');
      await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
      // Should the request still go to the shared fixture server, its `[401]` answer saves nothing.
      await page.locator('.quick-input-widget input').fill('A cat in a box [401]');
      await page.keyboard.press('Enter');
      const error = await notification(/re-verified|API key was rejected/, 30_000);
      assert.equal(relay.requests.length, 1, 'the request went to the relay');

      const message = error.locator('.notification-list-item-message');
      await message.waitFor({ timeout: 5_000 });
      const shown = ((await message.textContent()) ?? '').replace(/\u200b/g, '');
      assert.ok(shown.includes(link), `the server's text is shown as it was sent: ${shown}`);
      assert.match(shown, /^The API rejected the request: Your key must be re-verified\. \[Verify key\]\(command:/);
      assert.equal(await message.locator('a').count(), 0, 'no link in the notification message');
      assert.equal(await error.locator('a[href], [href*="command:" i]').count(), 0, 'no link anywhere in the notification');
      await error.getByRole('button', { name: 'Show Log', exact: true }).waitFor({ timeout: 5_000 });
      await screenshot('palette-error-command-link-as-text');
      assert.deepEqual(images(), before, 'nothing written');
    } finally {
      writeUserSettings({ 'gptImage.baseUrl': fixtureUrl });
      await relay.close();
      await reload();
    }
  });
  test('the Studio gallery shows palette generations, and a palette generation appears live in an open Studio (issue #10)', async () => {
    const { page, runCommand, screenshot, waitFor } = e2e();
    await clearNotifications();
    const frame = await openStudio();
    try {
    // The palette generation made earlier in this suite is in the gallery, with its picture loaded.
    const sunset = frame.getByRole('img', { name: prompt, exact: true });
    await waitFor(async () => (await sunset.count()) >= 1, { timeout: 30_000, what: 'the palette image in the Studio gallery' });
    assert.equal(await frame.getByText('No images yet').isVisible(), false, 'the gallery is not empty');
    await waitFor(() => sunset.first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), {
      timeout: 15_000,
      what: 'the palette image to load in the webview',
    });
    await screenshot('palette-then-studio-gallery');

    // With the Studio open, the palette generates again: the new card appears without reopening.
    const live = 'A paper boat on a puddle, macro photo';
    await runCommand('GPT Image: Generate Image…');
    await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill(live);
    await page.keyboard.press('Enter');
    await notification(/Saved 1 image to assets\//, 30_000);
    const boat = frame.getByRole('img', { name: live, exact: true });
    await waitFor(async () => (await boat.count()) === 1, { timeout: 15_000, what: 'the live palette image in the open Studio' });
    await screenshot('palette-live-in-studio');

    // Issue #14: with the Studio open, a palette generation streams its preview into the Studio too.
    const kite = 'A red kite over the dunes [stream-delay:2500]';
    await runCommand('GPT Image: Generate Image…');
    await page.locator('.quick-input-widget', { hasText: 'Describe the image to generate' }).waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill(kite);
    await page.keyboard.press('Enter');
    await frame.getByRole('img', { name: `Preview: ${kite}`, exact: true }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await frame.getByRole('img', { name: kite, exact: true }).count(), 0, 'the preview comes before the image');
    await screenshot('palette-preview-in-studio');
    await notification(/Saved 1 image to assets\/.*cost \$/, 30_000);
    await frame.getByRole('img', { name: kite, exact: true }).waitFor({ state: 'visible', timeout: 15_000 });
    } finally {
      // The Studio suite opens its own panel next to notes.md.
      await clearNotifications();
      await runCommand('View: Close All Editors');
    }
  });
});
