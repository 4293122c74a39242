import type { BrowserContext, FrameLocator, Page } from 'playwright-core';

/**
 * What scripts/run-e2e.mjs sets up before mocha runs the e2e suites: code-server with the packaged
 * .vsix installed into a fresh profile, the fake images API, and Chromium showing the workbench on
 * `workspace`. Helpers are bound to that page.
 */
export interface E2EContext {
  readonly page: Page;
  readonly browser: BrowserContext;
  /** Absolute path of the workspace folder (its name contains a space); holds notes.md. */
  readonly workspace: string;
  /** Base URL of the fake images API, as in the user setting gptImage.baseUrl. */
  readonly fixtureUrl: string;
  /** Folder of installed extensions (e.g. to check the .vsix install). */
  readonly extensionsDir: string;
  /**
   * Merges `settings` into the profile's User/settings.json (a value of `undefined` removes the key);
   * the running workbench picks the change up from the file, like a user editing it.
   */
  writeUserSettings(settings: Readonly<Record<string, unknown>>): void;
  /** Runs a command by its palette title, e.g. `GPT Image: Show Log`. */
  runCommand(title: string, options?: { timeout?: number }): Promise<void>;
  /** The inner frame of the extension's webview. */
  webviewFrame(): FrameLocator;
  /** Saves `.test-artifacts/e2e/NN-name.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Reloads the workbench on the workspace and waits until it is restored. */
  reload(): Promise<void>;
  /** Polls `check` until it returns a truthy value, failing with `what` after `timeout` ms. */
  waitFor<T>(check: () => T | Promise<T>, options: { timeout: number; what: string; interval?: number }): Promise<T>;
  /** Tail of the extension host log(s), for assertion messages. */
  extensionHostLog(): string;
  /** The whole GPT Image log of every window session so far, oldest first. */
  gptImageLog(): string;
}

const key = '__gptImageE2E';

export function e2e(): E2EContext {
  const context = (globalThis as Record<string, unknown>)[key] as E2EContext | undefined;
  if (!context) throw new Error('The e2e suites run only under scripts/run-e2e.mjs (npm run test:e2e)');
  return context;
}
