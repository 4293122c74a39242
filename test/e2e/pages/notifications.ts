import type { Locator } from 'playwright-core';
import { e2e } from '../context';

/**
 * A notification with `text`, as a toast or, where the workbench files it straight into the
 * notification center (code-server does when the page was never interacted with), opened there.
 */
export async function notification(text: string | RegExp, timeout: number): Promise<Locator> {
  const { page, runCommand, waitFor } = e2e();
  const item = page
    .locator('.notifications-toasts .notification-toast, .notifications-center .monaco-list-row')
    .filter({ hasText: text })
    .first();
  const center = page.locator('.notifications-center');
  const started = Date.now();
  await waitFor(
    async () => {
      if (await item.isVisible()) return true;
      // Not shown as a toast within a moment: look in the notification center.
      if (Date.now() - started > 1500 && !(await center.isVisible())) {
        await runCommand('Notifications: Show Notifications');
      }
      return item.isVisible();
    },
    { timeout, what: `a notification saying ${text}`, interval: 300 },
  );
  return item;
}
