/**
 * Keeps one secret (the API key) out of text a server or a proxy sent back: in any letter case, with
 * each character as itself or re-encoded on its own (percent-escaped, an HTML numeric or named entity
 * such as `&#115;` or `&lowbar;`, a JSON `\u0073` escape), and inside base64 or base64url at any of
 * the three byte alignments, also wrapped over lines (an `Authorization: Basic` echo, a JWT, a MIME
 * dump). Besides, any run of token characters containing 12 consecutive characters of the secret is
 * redacted whole, whatever the rest of it is (issue #9, F7). Secrets shorter than 4 characters are left
 * alone: they would redact ordinary words.
 */
export class SecretRedactor {
  private readonly pattern: RegExp | undefined;
  /** Every `windowLength`-character piece of the secret, any case; undefined for shorter secrets. */
  private readonly windows: RegExp | undefined;
  /** Which characters a run around a window match extends over: letters, digits, `-`, `_` and the secret's own. */
  private readonly runChars: ReadonlySet<string>;
  /**
   * The quick test (see {@link cannotHold}), for printable ASCII secrets: the secret's raw text, or its
   * windows, lower case; and its base64 cores, lower case. Undefined: always the full patterns.
   */
  private readonly plain: { readonly literals: readonly string[]; readonly cores: readonly string[] } | undefined;
  /**
   * For a secret longer than any real key (see the constructor): itself and its base64 cores in ASCII
   * lower case, matched without a RegExp; undefined otherwise.
   */
  private readonly long: readonly string[] | undefined;

  constructor(secret: string | undefined) {
    this.plain = undefined;
    this.long = undefined;
    this.pattern = undefined;
    this.windows = undefined;
    this.runChars = new Set(secret ?? '');
    if (!secret || secret.length < 4) return;
    const cores = base64Cores(secret);
    if (secret.length <= maxEncodedSecret) {
      const pieces = new Set<string>();
      for (let i = 0; i + windowLength <= secret.length; i++) pieces.add(secret.slice(i, i + windowLength).toLowerCase());
      try {
        const pattern = new RegExp([charsPattern(secret), ...cores.map(wrappedPattern)].join('|'), 'gi');
        const windows = secret.length > windowLength ? new RegExp([...pieces].map(escapeRegExp).join('|'), 'gi') : undefined;
        // V8 may report a pattern too large only when it first runs (its message would spell out the secret).
        pattern.test('%&\\');
        windows?.test('');
        pattern.lastIndex = 0;
        this.pattern = pattern;
        this.windows = windows;
        this.plain = /^[\x21-\x7e]+$/.test(secret)
          ? { literals: secret.length > windowLength ? [...pieces] : [secret.toLowerCase()], cores: cores.map((core) => core.toLowerCase()) }
          : undefined;
        return;
      } catch {
        // The plain forms below.
      }
    }
    // A secret no real key is as long as (set by hand, or from the environment): itself and its base64,
    // any case, without the per-character encodings (their pattern grows ~60 bytes per character, and
    // V8 refuses it from ~10,000 characters). Plain string search: no pattern can be too large.
    this.long = [secret, ...cores].map(asciiLower);
  }

  /** `text` with every form of the secret replaced by `***`. */
  redact(text: string): string {
    if (text.length === 0) return text;
    if (this.long) return replaceRanges(text, literalRanges(text, this.long));
    if (!this.pattern || this.cannotHold(text)) return text;
    const replaced = text.replace(this.pattern, '***');
    return this.windows ? this.redactRuns(replaced, this.windows) : replaced;
  }

  /**
   * True only when no pattern can match `text`, found with plain string searches: without `%`, `&` or
   * `\` no character can be escaped, so a match would be the secret or one of its windows as they are
   * (any case), or a base64 core with whitespace between its characters. Most texts (a request id, a
   * log line) are settled here: V8 drops the compiled code of a large pattern left unused for a few
   * garbage collections, and compiling it again cost ~1.5 ms per text (issue #11's n=1 ratio). ASCII
   * secrets only: for them `toLowerCase` agrees with the patterns' `i` flag.
   */
  private cannotHold(text: string): boolean {
    const plain = this.plain;
    if (!plain || /[%&\\]/.test(text)) return false;
    const lower = text.toLowerCase();
    if (plain.literals.some((literal) => lower.includes(literal))) return false;
    const squeezed = /\s/.test(lower) ? lower.replace(/\s+/g, '') : lower;
    return !plain.cores.some((core) => squeezed.includes(core));
  }

  /** Replaces each run of token characters that contains a window of the secret by `***`. */
  private redactRuns(text: string, windows: RegExp): string {
    const isRun = (char: string): boolean => /[A-Za-z0-9_-]/.test(char) || this.runChars.has(char);
    let result = '';
    let last = 0;
    windows.lastIndex = 0;
    for (let match = windows.exec(text); match; match = windows.exec(text)) {
      let start = match.index;
      let end = start + match[0].length;
      while (start > last && isRun(text.charAt(start - 1))) start--;
      while (end < text.length && isRun(text.charAt(end))) end++;
      result += `${text.slice(last, start)}***`;
      last = end;
      windows.lastIndex = end;
    }
    windows.lastIndex = 0;
    return last === 0 ? text : result + text.slice(last);
  }

  /**
   * The first `limit` characters of `text`, redacted. The redaction runs before the cut and the cut
   * moves past an occurrence that straddles it, so no part of the secret survives on either side.
   */
  head(text: string, limit: number): string {
    if (this.long && text.length > limit) {
      const straddling = literalRanges(text, this.long).find(([start, end]) => start < limit && end > limit);
      return this.redact(text.slice(0, straddling ? straddling[1] : limit));
    }
    if (text.length <= limit || !this.pattern) return this.redact(text.slice(0, limit));
    let end = limit;
    const patterns = this.windows ? [this.pattern, this.windows] : [this.pattern];
    for (let moved = true; moved; ) {
      moved = false;
      for (const pattern of patterns) {
        // From the start: whitespace between base64 characters (a wrapped dump) has no bound, so an
        // occurrence that straddles the cut may begin any distance before it.
        pattern.lastIndex = 0;
        for (let match = pattern.exec(text); match && match.index < end; match = pattern.exec(text)) {
          const stop = match.index + match[0].length;
          if (stop > end) {
            end = stop;
            moved = true;
          }
          if (match[0].length === 0) pattern.lastIndex++;
        }
        pattern.lastIndex = 0;
      }
    }
    return this.redact(text.slice(0, end));
  }
}

/** `text` without `secret`, raw or encoded (see {@link SecretRedactor}). */
export function redact(text: string, secret: string | undefined): string {
  return redactorFor(secret).redact(text);
}

/** How many redactors {@link redactorFor} keeps: a key or two in use, one being replaced. */
const keptRedactors = 4;
const redactors = new Map<string, SecretRedactor>();

/**
 * The redactor for `secret`, made once and reused. Its ~1.5 KB case-insensitive pattern costs ~10 ms to
 * compile, and V8's regexp cache ages out in a few garbage collections: a new redactor per generation
 * paid that on every request (a third of an n=1 generation's own time, issue #11's engine / minimal
 * ratio). A redactor keeps no state between calls, so sharing it is safe. The last few secrets are kept
 * (most recently used last); they are the key this process already holds.
 */
export function redactorFor(secret: string | undefined): SecretRedactor {
  if (!secret) return new SecretRedactor(undefined);
  let redactor = redactors.get(secret);
  if (redactor) {
    redactors.delete(secret);
  } else {
    redactor = new SecretRedactor(secret);
    if (redactors.size >= keptRedactors) redactors.delete(redactors.keys().next().value as string);
  }
  redactors.set(secret, redactor);
  return redactor;
}

/** Longer secrets get the plain forms only (see the constructor): no API key is near this long. */
const maxEncodedSecret = 512;

/** How many consecutive characters of the secret make a run suspect (issue #9, F7). */
const windowLength = 12;

/** HTML named entities of the ASCII characters a key can hold (`-` has none). */
const namedEntities: Readonly<Record<string, readonly string[]>> = {
  '_': ['lowbar', 'UnderBar'],
  '.': ['period'],
  '+': ['plus'],
  '/': ['sol'],
  '=': ['equals'],
  ':': ['colon'],
  '!': ['excl'],
  '#': ['num'],
  '$': ['dollar'],
  '%': ['percnt'],
  '&': ['amp'],
  '*': ['ast', 'midast'],
  '@': ['commat'],
  '~': ['tilde'],
  '^': ['Hat'],
  '|': ['verbar', 'vert', 'VerticalLine'],
  '?': ['quest'],
  ',': ['comma'],
  ';': ['semi'],
  '(': ['lpar'],
  ')': ['rpar'],
  '[': ['lsqb', 'lbrack'],
  ']': ['rsqb', 'rbrack'],
  '{': ['lcub', 'lbrace'],
  '}': ['rcub', 'rbrace'],
};

/**
 * Every character as itself or one escape of it: percent (its UTF-8 bytes), an HTML numeric entity
 * (decimal or hex, leading zeros, `;` optional) or named one, a JSON `\uXXXX`. Used with the `i` flag,
 * so `SK%2dABC`, `&#115;k-abc`, `\u0073k-abc` and `sk-abc` all match.
 */
function charsPattern(secret: string): string {
  let pattern = '';
  for (const char of secret) {
    const code = char.codePointAt(0)!;
    const forms = [escapeRegExp(char), [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')];
    forms.push(`&#0{0,6}${code};?`, `&#x0{0,6}${code.toString(16)};?`);
    for (const name of namedEntities[char] ?? []) forms.push(`&${name};`);
    if (code < 0x10000) forms.push(`\\\\u${code.toString(16).padStart(4, '0')}`);
    pattern += `(?:${forms.join('|')})`;
  }
  return pattern;
}

/** A base64 core that may be wrapped over lines (MIME, PEM): whitespace allowed between its characters. */
function wrappedPattern(core: string): string {
  return [...core].map(escapeRegExp).join('\\s*');
}

/**
 * The base64 (and base64url) characters that encode the secret whatever precedes it: for each of the
 * three positions the secret can start at within a 3-byte group, the encoding of its whole groups only.
 * Any base64 text containing the secret contains one of these. Cores under 8 characters are dropped.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (let skip = 0; skip < 3; skip++) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole < 6) continue;
    const core = bytes.subarray(skip, skip + whole);
    cores.add(core.toString('base64'));
    cores.add(core.toString('base64url'));
  }
  return [...cores];
}

/** Lower case for A–Z only: the length stays, so positions in it are positions in `text`. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/**
 * Where `literals` (ASCII lower case) occur in `text`, any ASCII case, as sorted, merged [start, end)
 * ranges. For ASCII literals that is what the `i` flag would match: no other character folds to ASCII.
 */
function literalRanges(text: string, literals: readonly string[]): [number, number][] {
  const lower = asciiLower(text);
  const found: [number, number][] = [];
  for (const literal of literals) {
    for (let at = lower.indexOf(literal); at !== -1; at = lower.indexOf(literal, at + 1)) found.push([at, at + literal.length]);
  }
  found.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of found) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

function replaceRanges(text: string, ranges: readonly (readonly [number, number])[]): string {
  if (ranges.length === 0) return text;
  let result = '';
  let last = 0;
  for (const [start, end] of ranges) {
    result += `${text.slice(last, start)}***`;
    last = end;
  }
  return result + text.slice(last);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
