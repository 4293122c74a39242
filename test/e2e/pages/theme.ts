import type { FrameLocator } from 'playwright-core';
import { e2e } from '../context';

/** Colour themes by their label in the theme picker, with the class each gives a webview's body. */
const bodyClasses = {
  'Dark Modern': 'vscode-dark',
  'Light Modern': 'vscode-light',
  'Dark High Contrast': 'vscode-high-contrast',
} as const;

export type ThemeLabel = keyof typeof bodyClasses;

/** The themes screenshots are taken in, with the short name their files carry. */
export const screenshotThemes: readonly { readonly theme: ThemeLabel; readonly name: string }[] = [
  { theme: 'Dark Modern', name: 'dark' },
  { theme: 'Light Modern', name: 'light' },
  { theme: 'Dark High Contrast', name: 'high-contrast' },
];

/**
 * Switches the colour theme as a user does, through Preferences: Color Theme (a settings file change
 * would need a reload). With `frame`, waits until that webview has the theme's body class.
 */
export async function switchTheme(theme: ThemeLabel, frame?: FrameLocator): Promise<void> {
  const { page, runCommand, waitFor } = e2e();
  await runCommand('Preferences: Color Theme');
  await page.keyboard.type(theme);
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: theme }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  if (!frame) return;
  const bodyClass = bodyClasses[theme];
  await waitFor(async () => ((await frame.locator('body').getAttribute('class')) ?? '').split(/\s+/).includes(bodyClass), {
    timeout: 20_000,
    what: `the webview in the ${theme} theme`,
  });
}
