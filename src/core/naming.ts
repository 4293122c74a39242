import { ImageApiError } from './errors';
import type { OutputFormat } from './types';

/** Longest slug we produce, in code points; with the time stamp and extension a name stays short. */
export const maxSlugLength = 48;

/**
 * Longest slug in UTF-8 bytes: 33 CJK characters, 48 ASCII ones. With the stamp, `-10`, a `-999` for a
 * taken name and `.webp` a name stays under 130 bytes: well within the 255 of ext4, NTFS and APFS, and
 * the ~143 of eCryptfs (encrypted home folders on Linux).
 */
export const maxSlugBytes = 100;

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

const latinOrDigit = /^[\p{Script=Latin}\p{Nd}]$/u;
const letterOrNumber = /^[\p{L}\p{N}]$/u;
const mark = /^\p{M}$/u;
// Marks that only decorate (keycaps, emoji and variant selectors): never kept, even after a letter.
const decoration = /^[\p{Me}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]$/u;
// Joiners are invisible: in Persian a ZWNJ sits inside a word, so it is dropped rather than made a dash.
const joiners = /[\u200c\u200d]/g;

/**
 * A file-name-safe slug of a prompt: lower-case letters, digits and single `-`, at most
 * {@link maxSlugLength} code points and {@link maxSlugBytes} UTF-8 bytes, cut at a word boundary where
 * possible. Latin letters are folded to ASCII (`Café crème` → `cafe-creme`) as before; letters of other
 * scripts are kept with their marks and in NFC, so `日本の猫` stays `日本の猫` and `Кот` becomes `кот`,
 * readable in the Explorer and safe on every OS (only letters, digits and `-`: no punctuation, symbols,
 * emoji, invisible or bidi control characters). A prompt without any usable character gives `image`, and
 * a reserved Windows device name is suffixed (`con` → `con-image`). Never contains `.` or a separator.
 */
export function slugify(prompt: string): string {
  // NFKD first: compatibility forms (ﬁ, ①, full-width ＣＯＮ, half-width kana) fold to plain ones, and
  // Latin accents come apart from their letters so they can be dropped; NFC puts the rest back together.
  const chars: string[] = [];
  let base: 'latin' | 'other' | 'none' = 'none';
  for (const ch of prompt.normalize('NFKD').toLowerCase().replace(joiners, '')) {
    if (mark.test(ch)) {
      // A mark belongs to the letter before it: dropped on Latin (é → e), kept elsewhere (й, έ, हि).
      if (base === 'other' && !decoration.test(ch)) chars.push(ch);
      continue;
    }
    const fold = letterFolds[ch];
    if (fold !== undefined || /^[a-z0-9]$/.test(ch)) {
      chars.push(fold ?? ch);
      base = 'latin';
    } else if (letterOrNumber.test(ch)) {
      chars.push(ch);
      base = latinOrDigit.test(ch) ? 'latin' : 'other';
    } else {
      chars.push('-');
      base = 'none';
    }
  }
  let slug = chars.join('').normalize('NFC').replace(/-+/g, '-').replace(/^-|-$/g, '');
  slug = shorten(slug);
  if (slug === '') return 'image';
  return reservedWindowsNames.test(slug) ? `${slug}-image` : slug;
}

/** Cuts `slug` to the limits, at a word boundary when that keeps most of it, never inside a letter + marks. */
function shorten(slug: string): string {
  const points = [...slug];
  if (points.length <= maxSlugLength && Buffer.byteLength(slug) <= maxSlugBytes) return slug;
  let end = 0;
  let bytes = 0;
  while (end < points.length && end < maxSlugLength) {
    const size = Buffer.byteLength(points[end]);
    if (bytes + size > maxSlugBytes) break;
    bytes += size;
    end++;
  }
  // Don't separate a letter from its marks (हि without its vowel sign reads as another word).
  while (end > 0 && end < points.length && mark.test(points[end])) end--;
  const cut = points.slice(0, end);
  const boundary = cut.lastIndexOf('-');
  const atWord = points[end] === '-' ? end : boundary;
  // A word boundary only helps when it keeps most of the slug; one very long word is cut hard.
  const kept = atWord >= end / 2 ? points.slice(0, atWord) : cut;
  return kept.join('').replace(/-+$/, '');
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
