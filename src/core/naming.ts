import { ImageApiError } from './errors';
import type { OutputFormat } from '../shared/options';

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

/**
 * Longest file name we make, in UTF-8 bytes: the limit of ext4, APFS and most Linux file systems. NTFS
 * and exFAT count 255 UTF-16 units, never more than the UTF-8 bytes, so a name within it fits there too.
 */
export const maxNameBytes = 255;

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
// Marks never kept, even after a letter: enclosing ones (keycaps), variation selectors, the overlays
// U+0334–U+0338 (a slash through a letter reads like a path separator) and the marks for symbols
// U+20D0–U+20FF (overlays, arrows, rings; no word needs them).
const decoration = /^[\p{Me}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u0334-\u0338\u20d0-\u20ff]$/u;
// Default ignorable code points render as nothing: joiners (in Persian a ZWNJ sits inside a word, so it is
// dropped rather than made a dash), bidi controls, the soft hyphen, variation selectors, the combining
// grapheme joiner U+034F, Mongolian and Khmer invisible signs (U+180B–U+180F, U+17B4, U+17B5) and the
// Hangul fillers U+115F, U+1160, U+3164, U+FFA0, which are letters and would otherwise give a name
// nobody can see. Dropped before anything is classified.
const ignorable = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * A file-name-safe slug of a prompt: lower-case letters, digits and single `-`, at most
 * {@link maxSlugLength} code points and {@link maxSlugBytes} UTF-8 bytes, cut at a word boundary where
 * possible. Latin letters are folded to ASCII (`Café crème` → `cafe-creme`) as before; letters of other
 * scripts are kept with their marks and in NFC, so `日本の猫` stays `日本の猫` and `Кот` becomes `кот`,
 * readable in the Explorer and safe on every OS (only letters, digits and `-`: no punctuation, symbols,
 * emoji, overlay marks, invisible letters or marks, bidi control characters). A prompt without any
 * usable character gives `image`, and a reserved Windows device name is suffixed (`con` → `con-image`).
 * Never contains `.` or a separator.
 */
export function slugify(prompt: string): string {
  // NFKD first: compatibility forms (ﬁ, ①, full-width ＣＯＮ, half-width kana) fold to plain ones, and
  // Latin accents come apart from their letters so they can be dropped; NFC puts the rest back together.
  const chars: string[] = [];
  let base: 'latin' | 'other' | 'none' = 'none';
  for (const ch of prompt.normalize('NFKD').toLowerCase().replace(ignorable, '')) {
    // Decorations and overlays go wherever they stand (code points of their blocks not assigned yet too).
    if (decoration.test(ch)) continue;
    if (mark.test(ch)) {
      // A mark belongs to the letter before it: dropped on Latin (é → e), kept elsewhere (й, έ, हि).
      if (base === 'other') chars.push(ch);
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
  for (const point of points.slice(0, maxSlugLength)) {
    const size = Buffer.byteLength(point);
    if (bytes + size > maxSlugBytes) break;
    bytes += size;
    end++;
  }
  // Don't separate a letter from its marks (हि without its vowel sign reads as another word).
  while (end > 0 && end < points.length && mark.test(points[end]!)) end--;
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
 * `count` is at least 1: callers check them. A base too long for {@link maxNameBytes} with its suffix
 * (a 255-byte name from the save dialog, or one whose extension changed from `.png` to `.webp`) is cut
 * at the end, see {@link fitName}.
 */
export function numberedNames(base: string, count: number, ext: string): string[] {
  if (count === 1) return [fitName(base, `.${ext}`)];
  return Array.from({ length: count }, (_, i) => fitName(base, `-${i + 1}.${ext}`));
}

/**
 * The `i`-th alternative for a taken name: `image.png` → `image-1.png`; `i = 0` is the name itself.
 * Only the last extension is kept apart, and a leading dot is part of the base (`.env` → `.env-1`).
 * The base gets shorter when the name would pass {@link maxNameBytes} otherwise, so a 255-byte name
 * still has alternatives.
 */
export function nextCandidate(name: string, i: number): string {
  if (i === 0) return name;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return fitName(name, `-${i}`);
  return fitName(name.slice(0, dot), `-${i}${name.slice(dot)}`);
}

/** Made on first use: building a segmenter loads ICU's break rules, ~6 ms that activation need not pay. */
let graphemes: Intl.Segmenter | undefined;

/**
 * `base + suffix`, with as many whole characters cut from the end of `base` as it takes to stay within
 * {@link maxNameBytes}. Cuts fall between user-perceived characters (grapheme clusters), so a letter keeps
 * its marks, an emoji its joiners and a surrogate pair stays whole; only a single cluster too big for
 * the room (a letter under hundreds of marks) is cut between code points. Should the suffix itself leave
 * no room (an "extension" of 250 bytes), the whole name is cut instead: a shorter name beats ENAMETOOLONG.
 */
export function fitName(base: string, suffix: string): string {
  if (Buffer.byteLength(base) + Buffer.byteLength(suffix) <= maxNameBytes) return base + suffix;
  const room = maxNameBytes - Buffer.byteLength(suffix);
  const kept = room > 0 ? cutToBytes(base, room) : '';
  return kept === '' ? cutToBytes(base + suffix, maxNameBytes) : kept + suffix;
}

/** The longest start of `text` of whole grapheme clusters within `bytes` UTF-8 bytes; by code points if none fits. */
function cutToBytes(text: string, bytes: number): string {
  let end = 0;
  let used = 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment, index } of graphemes.segment(text)) {
    used += Buffer.byteLength(segment);
    if (used > bytes) break;
    end = index + segment.length;
  }
  if (end > 0) return text.slice(0, end);
  // One cluster bigger than the room: cut it between code points rather than give no name at all.
  let points = '';
  for (const point of text) {
    if (Buffer.byteLength(points + point) > bytes) break;
    points += point;
  }
  return points;
}
