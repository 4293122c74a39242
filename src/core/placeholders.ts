/**
 * Image placeholders in Markdown (issue #15 §2): write the document first, fill the images later.
 * `![A lighthouse at dusk]()` or `![A lighthouse at dusk](gpt-image:)` is a placeholder; its alt text
 * is the prompt, and an optional title after `gpt-image:` sets options: `![…](gpt-image: "1536x1024 high")`.
 * Code (fenced, indented, inline) and HTML comments are not Markdown text, so nothing there counts.
 */
import { maxPromptLength, type ImageOptions } from '../shared/options';

/** What a placeholder's title may set: every image option but the count (one placeholder, one image). */
export type PlaceholderOptions = Partial<Omit<ImageOptions, 'n'>>;

export interface Placeholder {
  /** Offset of `!` and the offset just after `)`: the whole placeholder is `text.slice(start, end)`. */
  readonly start: number;
  readonly end: number;
  /** Offsets of the parentheses' content: what a fill replaces (with the image's path). */
  readonly targetStart: number;
  readonly targetEnd: number;
  /** The prompt: the alt text unescaped, its line breaks and runs of whitespace made one space. */
  readonly prompt: string;
  readonly options: PlaceholderOptions;
  /** Set when the title holds something that is not an option: the placeholder cannot be generated. */
  readonly problem?: string;
}

const sizeNames: Readonly<Record<string, string>> = { square: '1024x1024', landscape: '1536x1024', portrait: '1024x1536' };

/** Every placeholder of a Markdown (or MDX) document, in order. Linear in the document's length. */
export function findPlaceholders(text: string): Placeholder[] {
  const skip = codeRanges(text);
  const closers = matchBrackets(text, skip);
  const found: Placeholder[] = [];
  let next = 0; // index into skip
  for (let i = text.indexOf('![', 0); i >= 0; i = text.indexOf('![', i + 1)) {
    let range = skip[next];
    while (range && range[1] <= i) range = skip[++next];
    if (range && range[0] <= i) {
      i = range[1] - 1;
      continue;
    }
    if (isEscaped(text, i)) continue;
    const placeholder = parseAt(text, i, closers);
    if (placeholder) {
      found.push(placeholder);
      i = placeholder.end - 1;
    }
  }
  return found;
}

/** Options from a title: tokens separated by spaces or commas, in any order and letter case. */
export function parseOptions(title: string): { options: PlaceholderOptions; problem?: string } {
  const options: { -readonly [K in keyof PlaceholderOptions]: PlaceholderOptions[K] } = {};
  const unknown: string[] = [];
  for (const token of title.toLowerCase().split(/[\s,]+/).filter(Boolean)) {
    if (/^\d{2,4}x\d{2,4}$/.test(token) || token === 'auto') options.size = token;
    else if (Object.hasOwn(sizeNames, token)) options.size = sizeNames[token];
    else if (['low', 'medium', 'high'].includes(token)) options.quality = token as PlaceholderOptions['quality'];
    else if (['png', 'jpeg', 'webp'].includes(token)) options.outputFormat = token as PlaceholderOptions['outputFormat'];
    else if (token === 'jpg') options.outputFormat = 'jpeg';
    else if (token === 'transparent' || token === 'opaque') options.background = token;
    else unknown.push(token);
  }
  if (unknown.length === 0) return { options };
  const shown = unknown.slice(0, 3).map((token) => `"${token.slice(0, 20)}"`).join(', ');
  return {
    options,
    problem: `unknown option${unknown.length > 1 ? 's' : ''} ${shown} in the title (use a size like 1536x1024, landscape or portrait, low/medium/high, png/jpeg/webp, transparent/opaque)`,
  };
}

/**
 * C0/C1 control characters, and bidi marks, embeddings, overrides and isolates: invisible or reordering,
 * so the prompt sent (and kept in history and the PNG's iTXt) would not be the one the user reads.
 * Such a placeholder is refused, never silently altered (issue #15 review).
 */
const hiddenCharacter = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

function hiddenCharacterProblem(prompt: string): string | undefined {
  const found = hiddenCharacter.exec(prompt);
  if (!found) return undefined;
  const code = `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const at = Array.from(prompt.slice(0, found.index)).length + 1;
  return `the alt text contains an invisible control or bidi character (${code} at character ${at}); remove it so the prompt sent is the one shown`;
}

/** `![alt](…)` starting at `i`, when its target is empty or `gpt-image:` (with an optional title). */
function parseAt(text: string, i: number, closers: ReadonlyMap<number, number>): Placeholder | undefined {
  const j = closers.get(i + 1);
  if (j === undefined) return undefined;
  if (text[j + 1] !== '(') return undefined;
  const altEnd = j;
  const targetStart = j + 2;
  // A placeholder's target is short; looking further would make a hostile document quadratic.
  const close = text.slice(targetStart, targetStart + 300).indexOf(')') + targetStart;
  if (close < targetStart) return undefined;
  const inner = text.slice(targetStart, close);
  const match = /^[ \t]*(?:gpt-image:[ \t]*(?:"([^"\n]*)"|'([^'\n]*)')?[ \t]*)?$/.exec(inner);
  if (!match) return undefined;
  const prompt = unescape(text.slice(i + 2, altEnd)).replace(/\s+/g, ' ').trim();
  if (prompt === '') return undefined;
  const title = match[1] ?? match[2];
  const parsed = title === undefined ? { options: {} } : parseOptions(title);
  const problem = parsed.problem ?? hiddenCharacterProblem(prompt) ?? (prompt.length > maxPromptLength /* the API refuses it; the parser still lists it */ ? `the alt text is longer than ${maxPromptLength} characters` : undefined);
  return { start: i, end: close + 1, targetStart, targetEnd: close, prompt, options: parsed.options, ...(problem && { problem }) };
}

/**
 * The `]` closing each `[` (by offset), in one pass: brackets balance, backslash escapes count, code
 * and comments are skipped, and a blank line (the end of a paragraph) closes nothing that was open.
 */
function matchBrackets(text: string, skip: readonly [number, number][]): Map<number, number> {
  const closers = new Map<number, number>();
  const open: number[] = [];
  let r = 0;
  for (let i = 0; i < text.length; i++) {
    let range = skip[r];
    while (range && range[1] <= i) range = skip[++r];
    if (range && range[0] <= i) {
      i = range[1] - 1;
      continue;
    }
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === '[') open.push(i);
    else if (ch === ']') {
      const start = open.pop();
      if (start !== undefined) closers.set(start, i);
    } else if (ch === '\n' && /^[ \t]*(\r?\n|$)/.test(text.slice(i + 1, i + 80))) open.length = 0;
  }
  return closers;
}

function unescape(alt: string): string {
  return alt.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** True when the character at `i` is preceded by an odd number of backslashes. */
function isEscaped(text: string, i: number): boolean {
  let count = 0;
  for (let k = i - 1; k >= 0 && text[k] === '\\'; k--) count++;
  return count % 2 === 1;
}

/**
 * Ranges (sorted, [start, end)) that are code or comments: fenced blocks (``` or ~~~, closed by a fence
 * of the same character at least as long, or the end), indented blocks after a blank line, inline code
 * spans (a run of backticks closed by a run of the same length) and `<!-- … -->`.
 */
export function codeRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  let fence: { char: string; length: number; start: number } | undefined;
  let previousBlank = true;
  let inIndented = false;
  let indentedStart = 0;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? text.length : newline + 1;
    const line = text.slice(lineStart, newline < 0 ? text.length : newline).replace(/\r$/, '');
    const fenceRun = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (fenceRun && fenceRun[0] === fence.char && fenceRun.length >= fence.length && line.trim() === fenceRun) {
        ranges.push([fence.start, lineEnd]);
        fence = undefined;
      }
    } else if (fenceRun) {
      if (inIndented) ranges.push([indentedStart, lineStart]);
      inIndented = false;
      fence = { char: fenceRun.charAt(0), length: fenceRun.length, start: lineStart };
    } else if (/^( {4}|\t)/.test(line) && line.trim() !== '' && (previousBlank || inIndented)) {
      if (!inIndented) indentedStart = lineStart;
      inIndented = true;
    } else if (line.trim() !== '') {
      if (inIndented) ranges.push([indentedStart, lineStart]);
      inIndented = false;
    }
    previousBlank = line.trim() === '';
    if (newline < 0) break;
    lineStart = lineEnd;
  }
  if (fence) ranges.push([fence.start, text.length]);
  if (inIndented) ranges.push([indentedStart, text.length]);
  return mergeInline(text, ranges);
}

/** Adds inline code spans and HTML comments outside the block ranges; returns all ranges sorted. */
function mergeInline(text: string, blocks: [number, number][]): [number, number][] {
  const all = [...blocks];
  // Every maximal run of backticks, by length, found once: looking for a closing run is a binary
  // search, so a document of many runs of different lengths stays linear (it was quadratic).
  const runs = backtickRuns(text);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    let block = blocks[b];
    while (block && block[1] <= i) block = blocks[++b];
    if (block && block[0] <= i) {
      i = block[1] - 1;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      const stop = end < 0 ? text.length : end + 3;
      all.push([i, stop]);
      i = stop - 1;
    } else if (text[i] === '`' && !isEscaped(text, i)) {
      let run = 1;
      while (text[i + run] === '`') run++;
      // i + run is never a backtick, so the runs after it are maximal runs of the whole text.
      const closing = firstAtOrAfter(runs.get(run), i + run);
      if (closing < 0) {
        i += run - 1; // an unmatched run is literal backticks
        continue;
      }
      all.push([i, closing + run]);
      i = closing + run - 1;
    }
  }
  return all.sort((x, y) => x[0] - y[0]);
}

/** Start offsets of the maximal backtick runs of `text`, by run length, ascending. */
function backtickRuns(text: string): Map<number, number[]> {
  const runs = new Map<number, number[]>();
  for (let k = text.indexOf('`'); k >= 0; k = text.indexOf('`', k)) {
    let length = 1;
    while (text[k + length] === '`') length++;
    const list = runs.get(length);
    if (list) list.push(k);
    else runs.set(length, [k]);
    k += length;
  }
  return runs;
}

/** The first offset in the sorted list that is at least `from`, or -1. */
function firstAtOrAfter(list: readonly number[] | undefined, from: number): number {
  if (!list) return -1;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < from) lo = mid + 1; // lo ≤ mid < hi ≤ list.length
    else hi = mid;
  }
  return list[lo] ?? -1;
}
