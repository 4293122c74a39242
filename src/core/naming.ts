import { ImageApiError } from './errors';
import type { OutputFormat } from './types';

/** Longest slug we produce; with the time stamp and extension a name stays under ~70 characters. */
export const maxSlugLength = 48;

/** How many `-1`, `-2`… candidates are tried before giving up on a name. */
export const maxNameAttempts = 1000;

// NFKD splits accented letters into base + combining mark but leaves these alone, so fold them by hand.
const letterFolds: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ð: 'd',
  đ: 'd',
  ħ: 'h',
  ı: 'i',
  ł: 'l',
  þ: 'th',
};

// Windows refuses these as file names with any extension, so `con.png` can't be created there.
const reservedWindowsNames = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/**
 * A file-name-safe slug of a prompt: lower-case ASCII letters, digits and single `-`, at most
 * {@link maxSlugLength} characters, cut at a word boundary where possible. Accents are folded
 * (`Café crème` → `cafe-creme`); a prompt without any usable character gives `image`, and a reserved
 * Windows device name is suffixed (`con` → `con-image`). The result never contains `.` or a separator.
 */
export function slugify(prompt: string): string {
  const folded = prompt
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}+/gu, '')
    .replace(/[^\x00-\x7f]/g, (ch) => letterFolds[ch] ?? ' ');
  let slug = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (slug.length > maxSlugLength) {
    const cut = slug.slice(0, maxSlugLength + 1);
    const boundary = cut.lastIndexOf('-');
    // A word boundary only helps when it keeps most of the slug; one very long word is cut hard.
    slug = boundary >= maxSlugLength / 2 ? cut.slice(0, boundary) : slug.slice(0, maxSlugLength);
    slug = slug.replace(/-+$/, '');
  }
  if (slug === '') return 'image';
  return reservedWindowsNames.test(slug) ? `${slug}-image` : slug;
}

/** `yyyymmdd-hhmmss` in local time: sorts chronologically and reads like the user's clock. */
export function timestamp(date: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

/**
 * The file extension for an output format, without the dot. `jpeg` becomes `jpg`: it is what cameras,
 * editors and most users expect, and what our `gptImage.outputFormat` setting documents.
 */
export function extensionFor(format: OutputFormat): 'png' | 'jpg' | 'webp' {
  switch (format) {
    case 'jpeg':
      return 'jpg';
    case 'webp':
      return 'webp';
    case 'png':
    default:
      return 'png';
  }
}

/**
 * Names for the images of one request: `<slug>-<stamp>.<ext>` for one image, `<slug>-<stamp>-1.<ext>`,
 * `-2`… for several. Collisions with existing files are resolved later, when saving.
 */
export function imageFileNames(prompt: string, count: number, ext: string, now: Date): string[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new ImageApiError('validation', `Cannot name ${count} images: the count must be a positive integer.`, {
      param: 'n',
    });
  }
  const extension = ext.replace(/^\./, '').toLowerCase();
  if (!/^[a-z0-9]+$/.test(extension)) {
    throw new ImageApiError('validation', `"${ext}" is not a valid image file extension.`, { param: 'outputFormat' });
  }
  return numberedNames(`${slugify(prompt)}-${timestamp(now)}`, count, extension);
}

/**
 * `<base>.<ext>` for one image; `<base>-1.<ext>`, `<base>-2.<ext>`… for several. `ext` has no dot and
 * `count` is at least 1: callers check them.
 */
export function numberedNames(base: string, count: number, ext: string): string[] {
  if (count === 1) return [`${base}.${ext}`];
  return Array.from({ length: count }, (_, i) => `${base}-${i + 1}.${ext}`);
}

/**
 * The `i`-th alternative for a taken name: `image.png` → `image-1.png`; `i = 0` is the name itself.
 * Only the last extension is kept apart, and a leading dot is part of the base (`.env` → `.env-1`).
 */
export function nextCandidate(name: string, i: number): string {
  if (i === 0) return name;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `${name}-${i}`;
  return `${name.slice(0, dot)}-${i}${name.slice(dot)}`;
}
