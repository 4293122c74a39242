/**
 * Keeps one secret (the API key) out of text a server or a proxy sent back: raw, percent-encoded (each
 * character may be escaped or not, hex in either case) and inside base64 or base64url at any of the three
 * byte alignments (an `Authorization: Basic` echo, a JWT, a debug dump of the request). Secrets shorter
 * than 4 characters are left alone: they would redact ordinary words.
 */
export class SecretRedactor {
  private readonly pattern: RegExp | undefined;
  /** The longest text one occurrence can take (a fully percent-encoded secret): the window around a cut. */
  private readonly longest: number;

  constructor(secret: string | undefined) {
    if (!secret || secret.length < 4) {
      this.pattern = undefined;
      this.longest = 0;
      return;
    }
    const forms = [percentPattern(secret), ...base64Cores(secret).map(escapeRegExp)];
    this.pattern = new RegExp(forms.join('|'), 'g');
    this.longest = Buffer.byteLength(secret) * 3;
  }

  /** `text` with every form of the secret replaced by `***`. */
  redact(text: string): string {
    if (!this.pattern || text.length === 0) return text;
    return text.replace(this.pattern, '***');
  }

  /**
   * The first `limit` characters of `text`, redacted. The redaction runs before the cut and the cut
   * moves past an occurrence that straddles it, so no part of the secret survives on either side.
   */
  head(text: string, limit: number): string {
    if (text.length <= limit || !this.pattern) return this.redact(text.slice(0, limit));
    let end = limit;
    for (let moved = true; moved; ) {
      moved = false;
      this.pattern.lastIndex = Math.max(0, end - this.longest);
      for (let match = this.pattern.exec(text); match && match.index < end; match = this.pattern.exec(text)) {
        const stop = match.index + match[0].length;
        if (stop > end) {
          end = stop;
          moved = true;
        }
        if (match[0].length === 0) this.pattern.lastIndex++;
      }
    }
    this.pattern.lastIndex = 0;
    return this.redact(text.slice(0, end));
  }
}

/** `text` without `secret`, raw or encoded (see {@link SecretRedactor}). */
export function redact(text: string, secret: string | undefined): string {
  return new SecretRedactor(secret).redact(text);
}

/** Every character as itself or as its percent-escape(s), so `sk%2Dabc`, `%73k-abc` and `sk-abc` all match. */
function percentPattern(secret: string): string {
  let pattern = '';
  for (const char of secret) {
    const escaped = [...Buffer.from(char, 'utf8')].map((byte) => `%${hexEitherCase(byte)}`).join('');
    pattern += `(?:${escapeRegExp(char)}|${escaped})`;
  }
  return pattern;
}

function hexEitherCase(byte: number): string {
  return byte
    .toString(16)
    .padStart(2, '0')
    .replace(/[a-f]/g, (digit) => `[${digit}${digit.toUpperCase()}]`);
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
