import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2e } from './context';
import { ensureKey, generateButton, openStudio } from './pages/studio';
import { screenshotThemes, switchTheme, type ThemeLabel } from './pages/theme';

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** PNG width and height from the IHDR chunk. */
function pngSize(file: string): [number, number] {
  const bytes = fs.readFileSync(file);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/**
 * The Studio's edit mode (issue #13) as a user drives it: a card's Edit opens the image with the mask
 * brush; painting with the mouse tints the area; Send runs the edit against the fake API; the edit's
 * card appears and its files land beside the original, with the mask at the image's exact size.
 * Screenshots of the mask editor in the dark, light and high-contrast themes.
 */
suite('Image Studio edit mode and mask brush (issue #13)', function () {
  this.timeout(240_000);
  const prompt = 'A red kite over a harbour, flat illustration';
  const assetsDir = (): string => path.join(e2e().workspace, 'assets');
  const assets = (): string[] => (fs.existsSync(assetsDir()) ? fs.readdirSync(assetsDir()).filter((name) => !name.startsWith('.')).sort() : []);
  let defaultTheme: ThemeLabel = 'Light Modern';

  suiteTeardown(async () => {
    // The other suites expect the default theme back.
    await switchTheme(defaultTheme);
  });

  test('Edit on a card opens the mask editor; the mouse paints; Send saves the edit beside the original', async () => {
    const { page, screenshot, waitFor } = e2e();
    const frame = await openStudio({ timeout: 60_000 });
    const generate = generateButton(frame);
    if (((await frame.locator('body').getAttribute('class')) ?? '').includes('vscode-dark')) defaultTheme = 'Dark Modern';
    await ensureKey(frame, 'sk-e2e-edit-0123456789');
    // A card to edit: one landscape image.
    await frame.getByLabel('Prompt', { exact: true }).fill(prompt);
    await frame.getByLabel('Size', { exact: true }).selectOption('1536x1024');
    await frame.getByLabel('Quality', { exact: true }).selectOption('low');
    await frame.getByLabel('Count', { exact: true }).selectOption('1');
    await generate.click();
    const card = frame.locator('.card').filter({ has: frame.getByRole('img', { name: prompt, exact: true }) }).first();
    await card.waitFor({ timeout: 30_000 });
    const before = assets();
    const original = path.join(assetsDir(), (await card.locator('img').getAttribute('title'))?.replace(/^assets\//, '') ?? '');
    assert.ok(fs.existsSync(original), `the card's file exists: ${original}`);

    for (const name of ['Edit', 'Use as Reference']) assert.ok(await card.getByRole('button', { name, exact: true }).isVisible(), `a card button ${name}`);
    await card.getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = frame.locator('#edit-mode');
    await editor.waitFor({ state: 'visible', timeout: 15_000 });
    await frame.getByText('1536×1024 px').waitFor({ timeout: 5_000 });
    assert.equal(await frame.getByRole('button', { name: 'Send', exact: true }).isVisible(), true);
    assert.equal(await generate.isVisible(), false, 'edit mode replaces Generate with Send');
    for (const label of ['Brush', 'Eraser', 'Undo', 'Redo', 'Clear', 'Invert', 'Back to Generate']) {
      assert.ok(await frame.getByRole('button', { name: label, exact: true }).isVisible(), `mask control ${label}`);
    }
    assert.ok(await frame.getByLabel('Brush size', { exact: true }).isVisible());

    // Paint a stroke with the mouse across the left half of the image.
    const canvas = frame.locator('#mask-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    assert.ok(box, 'the canvas is laid out');
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.3);
    await page.mouse.down();
    for (let step = 1; step <= 12; step++) await page.mouse.move(box.x + box.width * (0.15 + step * 0.025), box.y + box.height * (0.3 + step * 0.03));
    await page.mouse.up();
    await frame.getByText('Mask: the tinted area will change; the rest is kept.').waitFor({ timeout: 5_000 });
    // Undo and redo with the keyboard.
    await canvas.press('Control+z');
    await frame.getByText(/^No mask: the whole image may change/).waitFor({ timeout: 5_000 });
    await canvas.press('Control+Shift+z');
    await frame.getByText('Mask: the tinted area will change; the rest is kept.').waitFor({ timeout: 5_000 });
    await frame.getByLabel('Prompt', { exact: true }).fill('Make the painted area a stormy sky');

    const shots = path.join(e2e().workspace, '..', 'edit-screenshots');
    fs.mkdirSync(shots, { recursive: true });
    for (const { theme, name } of screenshotThemes) {
      await switchTheme(theme, frame);
      await frame.getByText('Mask: the tinted area will change; the rest is kept.').waitFor({ timeout: 5_000 });
      await screenshot(`studio-mask-editor-${name}`);
      await editor.screenshot({ path: path.join(shots, `mask-editor-${name}.png`) });
    }

    await frame.getByRole('button', { name: 'Send', exact: true }).click();
    await frame.getByRole('status').getByText(/^Edited .* with a mask/).waitFor({ timeout: 30_000 });
    const added = (await waitFor(() => {
      const now = assets().filter((name) => !before.includes(name));
      return now.length === 2 ? now : undefined;
    }, { timeout: 10_000, what: "the edit and its mask in assets/" })) ?? [];
    const base = path.basename(original, '.png');
    const edited = added.find((name) => /-edit-\d{8}-\d{6}\.png$/.test(name));
    const mask = added.find((name) => name.endsWith('-mask.png'));
    assert.ok(edited?.startsWith(`${base}-edit-`), added.join(', '));
    assert.ok(mask, added.join(', '));
    assert.deepEqual(pngSize(path.join(assetsDir(), mask)), pngSize(original), 'the mask has the exact size of the image edited');
    // The edit's card is in the gallery, first.
    const first = frame.locator('.card').first();
    await first.getByText('Make the painted area a stormy sky').waitFor({ timeout: 10_000 });
    await screenshot('studio-edit-result');
    await frame.getByRole('button', { name: 'Back to Generate', exact: true }).click();
    await generate.waitFor({ state: 'visible', timeout: 5_000 });
  });

  test('edit mode survives the page being reloaded (panel hidden and shown): images, order, prompt and mask come back', async () => {
    const { page, runCommand, screenshot, waitFor } = e2e();
    const frame = e2e().webviewFrame();
    const cards = frame.locator('.card');
    await cards.nth(1).waitFor({ timeout: 15_000 });
    // The edit's card (first) is edited, the original (second) goes along as a reference, then made the first.
    await cards.nth(0).getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = frame.locator('#edit-mode');
    await editor.waitFor({ state: 'visible', timeout: 15_000 });
    await cards.nth(1).getByRole('button', { name: 'Use as Reference', exact: true }).click();
    const items = frame.locator('#edit-images li');
    await waitFor(async () => (await items.count()) === 2, { timeout: 10_000, what: 'two images in the edit' });
    await items.nth(1).getByRole('button', { name: /earlier/ }).click();
    const labels = async (): Promise<string[]> => (await items.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? '')));
    const order = await labels();
    assert.match(order[0], /^Edited image: assets\/(?!.*-edit-)/, order.join(' | '));
    const canvas = frame.locator('#mask-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    assert.ok(box, 'the canvas is laid out');
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
    await page.mouse.down();
    for (let step = 1; step <= 8; step++) await page.mouse.move(box.x + box.width * (0.6 + step * 0.03), box.y + box.height * 0.4);
    await page.mouse.up();
    const painted = frame.getByText('Mask: the tinted area will change; the rest is kept.');
    await painted.waitFor({ timeout: 5_000 });
    const promptText = 'Keep the kite, add a lighthouse';
    await frame.getByLabel('Prompt', { exact: true }).fill(promptText);

    // What hiding the panel does without retainContextWhenHidden: the page is thrown away and loaded again.
    await runCommand('Developer: Reload Webviews');
    await frame.getByRole('status').getByText(/the edit mode was restored/).waitFor({ timeout: 30_000 });
    await editor.waitFor({ state: 'visible', timeout: 5_000 });
    assert.deepEqual(await labels(), order, 'the same images in the same order');
    assert.equal(await frame.getByLabel('Prompt', { exact: true }).inputValue(), promptText);
    await painted.waitFor({ timeout: 5_000 });
    assert.equal(await frame.getByRole('button', { name: 'Send', exact: true }).isVisible(), true);
    // Undo still works on the restored strokes.
    await canvas.press('Control+z');
    await frame.getByText(/^No mask: the whole image may change/).waitFor({ timeout: 5_000 });
    await screenshot('studio-edit-restored');
    // Leave nothing behind for the next suites: the form as it was, edit mode closed (saved in the state too).
    await frame.getByLabel('Prompt', { exact: true }).fill('');
    await frame.getByRole('button', { name: 'Back to Generate', exact: true }).click();
    await frame.getByRole('button', { name: 'Generate', exact: true }).waitFor({ state: 'visible', timeout: 5_000 });

    // Reuse Prompt on the edit's card reopens edit mode with the image it was made from, and its prompt.
    await cards.nth(0).getByRole('button', { name: 'Reuse Prompt', exact: true }).click();
    await frame.getByRole('status').getByText(/again with the prompt and options of that edit/).waitFor({ timeout: 15_000 });
    await editor.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await frame.getByLabel('Prompt', { exact: true }).inputValue(), 'Make the painted area a stormy sky');
    assert.deepEqual(await labels(), [order[0]], 'the original, edited again');
    await frame.getByLabel('Prompt', { exact: true }).fill('');
    await frame.getByRole('button', { name: 'Back to Generate', exact: true }).click();
    await frame.getByRole('button', { name: 'Generate', exact: true }).waitFor({ state: 'visible', timeout: 5_000 });
  });

  test('at a narrow Studio width the reference thumbnails keep Move Earlier / Move Later / Remove on one row, in dark, light and high contrast', async () => {
    const { page, screenshot, waitFor } = e2e();
    const frame = e2e().webviewFrame();
    const cards = frame.locator('.card');
    await cards.nth(0).getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = frame.locator('#edit-mode');
    await editor.waitFor({ state: 'visible', timeout: 15_000 });
    await cards.nth(1).getByRole('button', { name: 'Use as Reference', exact: true }).click();
    const items = frame.locator('#edit-images li');
    await waitFor(async () => (await items.count()) === 2, { timeout: 10_000, what: 'two images in the edit' });
    const viewport = page.viewportSize();
    const shots = path.join(e2e().workspace, '..', 'edit-screenshots');
    fs.mkdirSync(shots, { recursive: true });
    try {
      // The Explorer stays open beside it: the Studio gets about 300 px.
      await page.setViewportSize({ width: 660, height: viewport?.height ?? 900 });
      await waitFor(async () => ((await frame.locator('body').boundingBox())?.width ?? 1000) < 400, { timeout: 10_000, what: 'a narrow Studio' });
      for (const { theme, name } of screenshotThemes) {
        await switchTheme(theme, frame);
        for (let k = 0; k < 2; k++) {
          const item = items.nth(k);
          const label = ((await item.getAttribute('aria-label')) ?? '').replace(/^(Edited image|Reference \d+): /, '').replace(/\. Alt\+Arrow keys move it\.$/, '');
          // The accessible names are unchanged (a contract): one button each.
          const names = [new RegExp(`^Move ${escape(label)} earlier`), new RegExp(`^Move ${escape(label)} later$`), new RegExp(`^Remove ${escape(label)} from the edit$`)];
          const box = await item.boundingBox();
          assert.ok(box);
          const tops: number[] = [];
          for (const accessible of names) {
            const button = item.getByRole('button', { name: accessible });
            assert.equal(await button.count(), 1, `${name}: ${accessible}`);
            const b = await button.boundingBox();
            assert.ok(b, `${name}: ${accessible} is laid out`);
            tops.push(Math.round(b.y));
            assert.ok(b.x >= box.x - 0.5 && b.x + b.width <= box.x + box.width + 0.5, `${name}: ${accessible} inside its thumbnail (${JSON.stringify(b)} in ${JSON.stringify(box)})`);
          }
          assert.ok(Math.max(...tops) - Math.min(...tops) <= 1, `${name}: the three buttons on one row (tops ${tops.join(', ')})`);
        }
        // The shared checkerboard (media/panel.css) reaches the mask frame with the theme's colours.
        const checker = await frame.locator('#mask-frame').evaluate((node) => (globalThis as unknown as { getComputedStyle(of: unknown): { backgroundImage: string } }).getComputedStyle(node).backgroundImage);
        assert.match(checker, /^linear-gradient\(45deg, rgb/, `${name}: ${checker.slice(0, 80)}`);
        await items.nth(1).scrollIntoViewIfNeeded();
        await screenshot(`studio-edit-narrow-${name}`);
        await editor.screenshot({ path: path.join(shots, `edit-narrow-${name}.png`) });
      }
    } finally {
      if (viewport) await page.setViewportSize(viewport);
    }
    await frame.getByRole('button', { name: 'Back to Generate', exact: true }).click();
    await frame.getByRole('button', { name: 'Generate', exact: true }).waitFor({ state: 'visible', timeout: 5_000 });
  });
});
