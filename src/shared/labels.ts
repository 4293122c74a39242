import type { ImageCommand } from './protocol';
import { quoteValue } from './plainText';
import { standardSizes } from './options';

const qualityLabels: Readonly<Record<string, string>> = { auto: 'Auto', low: 'Low', medium: 'Medium', high: 'High' };
const formatLabels: Readonly<Record<string, string>> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };
const backgroundLabels: Readonly<Record<string, string>> = {
  auto: 'Auto',
  transparent: 'Transparent',
  opaque: 'Opaque',
};
const sizeShapes: Readonly<Record<string, string>> = {
  '1024x1024': 'Square',
  '1536x1024': 'Landscape',
  '1024x1536': 'Portrait',
};

export const customSizeValue = 'custom';

export function isStandardSize(size: string): boolean {
  return (standardSizes as readonly string[]).includes(size);
}

/** Longest part of an unknown setting value a label shows, in characters. */
export const maxInvalidValueLength = 16;

/**
 * Security: a value no label knows comes from a settings.json, maybe a repository's, and labels end up in
 * quick input prompts, quick pick descriptions and notifications, which render `[x](command:…)` links
 * and `$(icon)` codes. So it is never shown as it is: quoted, cut to {@link maxInvalidValueLength}
 * characters and made plain (`$(` split by a zero-width space), with the setting named, e.g.
 * `invalid format "$(key) Your WisG…"`.
 */
export function invalidLabel(what: string, value: unknown): string {
  return `invalid ${what} ${quoteValue(value, maxInvalidValueLength)}`;
}

/** `Landscape 1536×1024`, `2048×1152`, `Auto size`: the shape first, so a narrow select still shows it. */
export function sizeLabel(size: string): string {
  if (size === 'auto') return 'Auto size';
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) return invalidLabel('size', size);
  const shape = sizeShapes[size];
  return `${shape ? `${shape} ` : ''}${match[1]}×${match[2]}`;
}

// Own keys only: `constructor` or `__proto__` from a settings.json is not a label.
function known(labels: Readonly<Record<string, string>>, value: string): string | undefined {
  return Object.hasOwn(labels, value) ? labels[value] : undefined;
}

/** `High`; an unknown value as {@link invalidLabel}. */
export function qualityLabel(quality: string): string {
  return known(qualityLabels, quality) ?? invalidLabel('quality', quality);
}

/** `High quality`, for summaries; an unknown value as {@link invalidLabel}. */
export function qualityPhrase(quality: string): string {
  const label = known(qualityLabels, quality);
  return label ? `${label} quality` : invalidLabel('quality', quality);
}

/** `WebP`; an unknown value as {@link invalidLabel}. */
export function formatLabel(format: string): string {
  return known(formatLabels, format) ?? invalidLabel('format', format);
}

/** `Transparent background`; an unknown value as {@link invalidLabel}. */
export function backgroundLabel(background: string): string {
  const label = known(backgroundLabels, background);
  return label ? `${label} background` : invalidLabel('background', background);
}

/**
 * The text of an option in the Studio's selects. Only values the Studio offers reach it, but an unknown
 * one is still never shown as it is.
 */
export function optionText(field: 'quality' | 'outputFormat' | 'background', value: string): string {
  switch (field) {
    case 'quality':
      return qualityLabel(value);
    case 'outputFormat':
      return formatLabel(value);
    case 'background':
      return known(backgroundLabels, value) ?? invalidLabel('background', value);
  }
}

/** `1 image`, `3 images`: for regular English nouns only. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Extensions (lower case, no dot) of the image files we save, link and insert. */
export const imageExtensions: readonly string[] = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'svg'];

/** The seed's advice, shown wherever a prompt is typed (the Studio's placeholder, the palette's prompt box). */
export const promptAdvice =
  'Subject + style + composition + key details, e.g. "A beautiful sunset over a calm ocean, cinematic lighting, soft clouds, warm orange and purple tones"';

/** What a user can do about an error. The palette shows them as buttons, the Studio as buttons too. */
export type ErrorAction = 'setApiKey' | 'openSettings' | 'openProxySettings' | 'showLog' | 'tryAgain';

export const errorActionLabels: Readonly<Record<ErrorAction, string>> = {
  setApiKey: 'Set API Key',
  openSettings: 'Open Settings',
  openProxySettings: 'Open Proxy Settings',
  showLog: 'Show Log',
  /** Sends the same request (prompt and options) once more; offered only where the surface can. */
  tryAgain: 'Try Again',
};

/** The gallery's buttons for one image, and the word for their failures ("Insert failed: …"). */
export const imageCommandLabels: Readonly<Record<ImageCommand, string>> = {
  insert: 'Insert',
  open: 'Open',
  reveal: 'Reveal',
  copyLink: 'Copy Link',
};
