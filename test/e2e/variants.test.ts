import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator } from 'playwright-core';
import { e2e } from './context';
import { generateButton, openStudio } from './pages/studio';

/**
 * Variants and lineage as a user meets them (issue #13): generate two in the Studio, Keep one, Discard
 * the others (the workbench's modal dialogs answered; code-server has no OS trash, so the second one,
 * "Delete permanently instead?", comes too), the card and the file are gone; an edit of the kept image
 * made from the palette shows "edited from …" and its versions on its card.
 */
suite('Image Studio: Keep, Discard the others, edited from', function () {
  this.timeout(180_000);

  const prompt = 'Two paper cranes on a desk, variants test';
  let kept = '';

  function assets(): string[] {
    const dir = path.join(e2e().workspace, 'assets');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.startsWith('.')).sort() : [];
  }

  function cards(frame: FrameLocator, name: string): Locator {
    return frame.locator('li.card').filter({ has: frame.getByRole('img', { name, exact: true }) });
  }

  test('generate two, Keep one, Discard the others: the other card and its file are gone', async () => {
    const { page, screenshot, waitFor } = e2e();
    const frame = await openStudio({ key: 'sk-e2e-variants-0123456789' });
    const generate = generateButton(frame);
    await frame.getByLabel('Prompt', { exact: true }).fill(prompt);
    await frame.getByLabel('Size', { exact: true }).selectOption('1024x1024');
    await frame.getByLabel('Quality', { exact: true }).selectOption('low');
    await frame.getByLabel('Count', { exact: true }).selectOption('2');
    await generate.click();
    await waitFor(async () => (await cards(frame, prompt).count()) === 2, { timeout: 60_000, what: 'two cards of the generation' });
    const files = await cards(frame, prompt).locator('img').evaluateAll((imgs) => imgs.map((img) => img.getAttribute('title') ?? ''));
    const names = files.map((file) => path.basename(file));
    assert.ok(names.every((name) => assets().includes(name)), `both saved: ${names.join(', ')}`);

    const second = cards(frame, prompt).nth(1);
    assert.equal(await frame.getByRole('button', { name: 'Discard the others', exact: true }).count(), 0, 'offered once something is kept');
    await second.getByRole('button', { name: 'Keep', exact: true }).click();
    await waitFor(async () => (await cards(frame, prompt).nth(1).getByRole('button', { name: 'Keep', exact: true }).getAttribute('aria-pressed')) === 'true', {
      timeout: 15_000,
      what: 'Keep pressed on the second card',
    });
    kept = names[1];
    await screenshot('variants-kept');
    await cards(frame, prompt).nth(1).getByRole('button', { name: 'Discard the others', exact: true }).click();

    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await dialog.textContent()) ?? '', /Move 1 image of this generation to the trash\?/);
    await screenshot('variants-discard-confirm');
    await dialog.getByRole('button', { name: 'Move to Trash', exact: true }).click();
    // Where the workbench has no trash (code-server), it says so and asks before deleting permanently.
    const status = frame.getByRole('status');
    const next = await waitFor(
      async () =>
        (await page.locator('.monaco-dialog-box', { hasText: 'The trash is not available' }).isVisible())
          ? 'ask'
          : /Moved 1 image to the trash/.test((await status.textContent()) ?? '')
            ? 'trashed'
            : undefined,
      { timeout: 15_000, what: 'the trash outcome' },
    );
    if (next === 'ask') {
      await screenshot('variants-no-trash');
      await page.locator('.monaco-dialog-box').getByRole('button', { name: 'Delete Permanently', exact: true }).click();
    }
    await waitFor(async () => (await cards(frame, prompt).count()) === 1, { timeout: 15_000, what: 'one card left' });
    await status.getByText(next === 'ask' ? 'Deleted 1 image permanently.' : /Moved 1 image to the trash/).waitFor({ timeout: 15_000 });
    assert.equal(assets().includes(names[0]), false, `${names[0]} is gone from the workspace`);
    assert.equal(assets().includes(kept), true, `${kept} stays`);
    assert.equal(await cards(frame, prompt).getByRole('button', { name: 'Keep', exact: true }).count(), 0, 'one image left: no variants to choose from');
    await screenshot('variants-discarded');
  });

  test('an edit of the kept image shows "edited from" and its versions', async () => {
    const { page, runCommand, screenshot, waitFor } = e2e();
    assert.ok(kept, 'the previous test kept an image');
    await runCommand('GPT Image: Edit Image…');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: kept }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'Edit' }).waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('Make the cranes red');
    await page.keyboard.press('Enter');
    const frame = await openStudio();
    const edit = cards(frame, 'Make the cranes red');
    await waitFor(async () => (await edit.count()) === 1, { timeout: 60_000, what: 'the edit card' });
    await edit.getByText('edited from').waitFor({ timeout: 15_000 });
    const parent = edit.getByRole('button', { name: kept, exact: true });
    assert.equal(await parent.count(), 1, `"edited from ${kept}" links to its card`);
    const versions = edit.getByRole('list', { name: 'Versions' });
    assert.equal(await versions.getByRole('listitem').count(), 2);
    assert.equal(await versions.locator('[aria-current="true"]').count(), 1, 'the current version is marked');
    await edit.scrollIntoViewIfNeeded();
    // Lazy images load once in view: wait for the card's picture and its thumbnails to be decoded.
    await waitFor(async () => (await edit.locator('img').evaluateAll((imgs) => imgs.every((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0))) === true, {
      timeout: 15_000,
      what: 'the edit card images loaded',
    });
    await screenshot('variants-edited-from');
    await parent.click();
    const parentCard = cards(frame, prompt);
    await waitFor(async () => (await parentCard.evaluate((card) => card.classList.contains('highlight'))) === true, {
      timeout: 10_000,
      what: 'the parent card highlighted',
    });
  });
});
