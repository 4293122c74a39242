import type { FrameLocator, Locator } from 'playwright-core';
import { e2e } from '../context';

/** The Studio's Generate button, by its accessible name (the Studio's contract). */
export function generateButton(frame: FrameLocator): Locator {
  return frame.getByRole('button', { name: 'Generate', exact: true });
}

/**
 * Opens the Image Studio from the palette and waits until its form is there (the Generate button
 * visible); returns the webview's frame. `key`: when the profile has no API key yet, set this one
 * through the Studio's "Set API Key" hint, the way a user would.
 */
export async function openStudio(options: { key?: string; timeout?: number } = {}): Promise<FrameLocator> {
  const { runCommand, webviewFrame } = e2e();
  await runCommand('GPT Image: Open Image Studio');
  const frame = webviewFrame();
  await generateButton(frame).waitFor({ state: 'visible', timeout: options.timeout ?? 30_000 });
  if (options.key !== undefined) await ensureKey(frame, options.key);
  return frame;
}

/** A fresh profile may have no key: the Studio's hint sets `key` the way a user would. */
export async function ensureKey(frame: FrameLocator, key: string): Promise<void> {
  const { page } = e2e();
  const hint = frame.getByText('No API key is set yet.');
  if (!(await hint.isVisible())) return;
  await frame.getByRole('button', { name: 'Set API Key', exact: true }).click();
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(key);
  await page.keyboard.press('Enter');
  await hint.waitFor({ state: 'hidden', timeout: 15_000 });
}
