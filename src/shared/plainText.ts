/**
 * Invisible characters that hide or reorder text (zero-width spaces, the BOM, soft hyphen, bidi marks,
 * embeddings, overrides and isolates, and the Unicode tag characters U+E0000–E007F that can spell a hidden
 * sentence). Joiners (U+200C, U+200D) stay: scripts and emoji need them.
 */
const invisible = /[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/gu;

/** Control characters (newlines and tabs included) and the Unicode line and paragraph separators. */
const controls = /[\p{Cc}\u2028\u2029]+/gu;

/** `<scheme:` as CommonMark starts an autolink with it (`<command:…>`); schemes are 2–32 characters. */
const autolinkStart = /<(?=[a-z][a-z0-9+.-]{1,31}:)/gi;

const zeroWidthSpace = '\u200b';

/**
 * Text that no VS Code surface can turn into a link or an icon. Security: notifications and quick input prompts
 * run their text through `parseLinkedText` (vs/base/common/linkedText.ts), whose pattern
 * `/\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi` makes
 * `[label](command:…)`, `[label](https://…)` and `[label](file:…)` clickable, command arguments included
 * and in any letter case. Every such link needs `]` and `(` side by side, so a zero-width space between
 * them leaves the text reading exactly as it was while the parser finds nothing, however the brackets
 * nest or whatever the label holds. `<scheme:` gets one too, for Markdown autolinks, and so does `$(`:
 * quick inputs, quick picks and notifications render `$(name)` as a product icon (`renderLabelWithIcons`,
 * `\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)`), so a setting like `$(key) Your key expired` would otherwise
 * show a real key icon. Control characters and line breaks become one space (VS Code joins lines
 * anyway), and invisible characters that could hide or reorder text, zero-width spaces included, are
 * dropped first, so the result is the same when applied twice.
 */
export function plainText(text: string): string {
  return String(text)
    .replace(invisible, '')
    .replace(controls, ' ')
    .replaceAll('](', `]${zeroWidthSpace}(`)
    // A function, so no `$` in the replacement is read as a pattern.
    .replaceAll('$(', () => `$${zeroWidthSpace}(`)
    .replace(autolinkStart, `<${zeroWidthSpace}`);
}

/**
 * A value from settings or a server for a message: JSON-quoted like `"…"`, at most `max` characters
 * (then `…`), and made plain. Never throws, whatever the value.
 */
export function quoteValue(value: unknown, max = 40): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = typeof value;
  }
  const characters = [...text];
  const short = characters.length > max ? `${characters.slice(0, max).join('')}…` : text;
  return typeof value === 'string' ? `"${plainText(short)}"` : plainText(short);
}
