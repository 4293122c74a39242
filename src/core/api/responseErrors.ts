import { STATUS_CODES } from 'node:http';
import { ImageApiError, type ImageErrorKind, withDetails } from '../errors';
import type { Context } from './client';
import { redactorFor, SecretRedactor } from './redact';
import { headerValue } from './responseBody';
import { type RetryDecision, statusDecision } from './retry';
import type { SpooledFile } from './streamingImages';
import { formatBytes, formatDuration } from './units';

/** Why an answer that broke off is not retried, for its error message. */
export const mayBeCharged =
  'the images may already have been generated and charged, so it was not retried automatically.';

/** A gateway's 403 for a disabled key, or one whose own quota is used up (new-api / WisGate wording). */
const tokenGroupDisabled = /\btoken\s*group\b.*\bdisabled\b/i;

const excerptLength = 200;
/** How much of an unexpected body excerptOf looks at for its first line. */
const excerptWindow = 8192;

/**
 * The first meaningful line of an unexpected body, ≤ 200 characters: for HTML the first line of
 * text (the title, usually) rather than `<!DOCTYPE html>`. Redacts `secret` (raw or encoded) before
 * each cut, so a key split by the 8 KB window or the 200-character line cannot leak part of itself.
 */
export function excerptOf(text: string, secret?: string | SecretRedactor): string {
  const redactor = secret instanceof SecretRedactor ? secret : redactorFor(secret);
  let head = redactor.head(text, excerptWindow);
  if (/^\s*</.test(head)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(head)?.[1];
    const plain = head.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, '\n');
    // Entities decoded, then redacted again below: `&#115;k-…` is no hiding place either.
    head = decodeEntities(title?.trim() ? title : plain);
  }
  const line = head.split(/\r?\n/).map((part) => part.trim()).find((part) => part.length > 0) ?? '';
  // Again after the tags are gone: markup inside the key (`sk-<b>…`) is no hiding place.
  return cut(redactor.redact(line).replace(/\s+/g, ' '), excerptLength);
}

/** The text of HTML entities: numeric ones and the few named ones error pages use. */
function decodeEntities(text: string): string {
  const named: Readonly<Record<string, string>> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,8}));?/gi, (whole, decimal?: string, hex?: string, name?: string) => {
    const code = decimal !== undefined ? Number(decimal) : hex !== undefined ? parseInt(hex, 16) : undefined;
    if (code !== undefined) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
    return named[name!.toLowerCase()] ?? whole;
  });
}

/**
 * The string values of parsed JSON in document order (keys left out), for the excerpt of a JSON body
 * without an OpenAI `error` (FastAPI's `{"detail": …}`): the text a server meant, with its `\u0073`
 * escapes already decoded, so redaction sees the key as it is (issue #9, F7).
 */
export function jsonText(value: unknown, limit = excerptWindow): string {
  const parts: string[] = [];
  let size = 0;
  const visit = (node: unknown, depth: number): void => {
    if (size >= limit || depth > 20) return;
    if (typeof node === 'string') {
      parts.push(node);
      size += node.length + 1;
    } else if (typeof node === 'number' || typeof node === 'boolean') {
      parts.push(String(node));
      size += 8;
    } else if (Array.isArray(node)) for (const item of node) visit(item, depth + 1);
    else if (isObject(node)) for (const item of Object.values(node)) visit(item, depth + 1);
  };
  visit(value, 0);
  return parts.join(' ');
}

interface ApiErrorBody {
  readonly message?: string;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
}

export type AttemptOutcome =
  | {
      readonly ok: true;
      readonly json: Record<string, unknown>;
      readonly requestId?: string;
      /** Images already decoded from the body, by their `data` item: in place (extractImages) or to temp files (streamingImages). */
      readonly images?: ReadonlyMap<object, Buffer | SpooledFile>;
    }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      /** The retry rule that decided, for the log line ("503 … answered in 120 ms (nothing was generated)"). */
      readonly because?: string;
      readonly headers?: Readonly<Record<string, unknown>>;
      /** For the retry log line, e.g. `503 Service Unavailable`. */
      readonly summary: string;
      readonly toError: (attempts: number) => ImageApiError;
    };

/** An attempt that did not produce images. */
export type FailedAttempt = Extract<AttemptOutcome, { readonly ok: false }>;

export function successOutcome(context: Context, status: number, text: string, requestId: string | undefined, n: number): AttemptOutcome {
  const fail = (message: string, excerpt?: string, charged = false): AttemptOutcome => {
    const error = new ImageApiError('badResponse', context.redact(message), { status, requestId, excerpt, mayBeCharged: charged });
    const because = `the server answered ${status} with an unusable answer${charged ? ' (the images may have been charged)' : ''}`;
    return { ok: false, retryable: false, because, summary: error.message, toError: (attempts) => withAttempts(error, attempts) };
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const kind = describeBody(text);
    // JSON of a generation is mostly base64: quoting its start would show nothing but noise (issue #11).
    if (kind === 'json') return fail(brokenJsonMessage(status, text, error), undefined, true);
    const excerpt = excerptOf(text, context.redactor);
    return fail(`The server answered ${status} with ${kind} instead of JSON${excerpt ? `: "${excerpt}"` : ''}.`, excerpt);
  }
  if (!isObject(json)) return fail(`The server answered ${status} with JSON that is not an object.`);
  const apiError = readApiError(json);
  if (apiError?.message && !Array.isArray(json.data)) {
    return fail(`The server answered ${status} with an error: ${sentence(context.redact(apiError.message))}`);
  }
  if (!Array.isArray(json.data)) return fail(`The server answered ${status} without a "data" list of images.`);
  if (json.data.length === 0) return fail(`The server answered ${status} but returned no images.`);
  // Never more files than were asked for (issue #9, part 2): a server's 10,000 items are refused whole.
  if (json.data.length > n) {
    return fail(`The server answered with ${json.data.length} images but ${n} ${n === 1 ? 'was' : 'were'} asked for, so none were saved.`);
  }
  return { ok: true, json, requestId };
}

/**
 * `answeredMs`: from the request being sent to the status line, for the rule that a late 5xx may follow
 * a billed image (see statusDecision).
 */
export function statusOutcome(
  context: Context,
  status: number,
  headers: Readonly<Record<string, unknown>>,
  text: string,
  requestId: string | undefined,
  answeredMs = 0,
): AttemptOutcome {
  let apiError: ApiErrorBody | undefined;
  let shownText = text;
  try {
    const parsed: unknown = JSON.parse(text);
    apiError = isObject(parsed) ? readApiError(parsed) : undefined;
    shownText = jsonText(parsed);
  } catch {
    apiError = undefined;
  }
  const excerpt = apiError?.message ? undefined : excerptOf(shownText, context.redactor);
  const serverText = apiError?.message
    ? sentence(context.redact(apiError.message).slice(0, 1000))
    : excerpt
      ? `"${excerpt}".`
      : `${STATUS_CODES[status] ?? 'Unknown status'}.`;
  const shouldRetry = headerValue(headers, 'x-should-retry')?.trim().toLowerCase();
  const rule = statusDecision(status, apiError?.code, shouldRetry, answeredMs, context.retryServerErrorsWithinMs);
  const keyDisabled = status === 403 && tokenGroupDisabled.test(`${apiError?.message ?? ''} ${excerpt ?? ''}`);
  const target = headerValue(headers, 'location');
  // Redacted before it is cut: a key straddling the cut would otherwise survive in part.
  const location = target === undefined ? undefined : cut(context.redact(target), excerptLength);
  return {
    ok: false,
    retryable: rule.retry,
    because: rule.because,
    headers,
    summary: `${status} ${STATUS_CODES[status] ?? ''}`.trim(),
    toError: (attempts) => {
      const [kind, message] = statusMessage(status, apiError?.code, serverText, attempts, location, rule, answeredMs);
      return new ImageApiError(kind, context.redact(message), {
        status,
        requestId,
        code: apiError?.code,
        param: apiError?.param,
        excerpt,
        attempts,
        mayBeCharged: rule.mayBeCharged,
        keyDisabled,
      });
    },
  };
}

/**
 * What broke in a 2xx answer's JSON, without quoting it: cut off at the end ("the answer broke off
 * after 12 MB: the JSON is incomplete") or wrong in the middle (at which byte). The position comes from
 * V8's SyntaxError ("… at position 1234", "Unexpected end of JSON input").
 */
export function brokenJsonMessage(status: number, text: string, error: unknown): string {
  const size = formatBytes(Buffer.byteLength(text));
  const detail = error instanceof Error ? error.message : '';
  const position = Number(/at position (\d+)/.exec(detail)?.[1] ?? NaN);
  const end = text.trimEnd().length;
  if (/end of JSON input/i.test(detail) || position >= end) {
    return `The server answered ${status}, but the answer broke off after ${size}: the JSON is incomplete; ${mayBeCharged}`;
  }
  const where = Number.isFinite(position) ? ` at character ${position + 1} of ${text.length}` : '';
  return `The server answered ${status} with malformed JSON (${size}${where}); ${mayBeCharged}`;
}

function statusMessage(
  status: number,
  code: string | undefined,
  serverText: string,
  attempts: number,
  location: string | undefined,
  rule: RetryDecision,
  answeredMs: number,
): [ImageErrorKind, string] {
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (rule.mayBeCharged) {
    const kind: ImageErrorKind = status === 429 ? 'rateLimited' : status === 408 ? 'timeout' : 'server';
    return [kind, `The image service failed with status ${status} after ${formatDuration(answeredMs)}: ${serverText.replace(/\.$/, '')}; ${mayBeCharged}`];
  }
  if (code === 'moderation_blocked') return ['moderation', `The safety system refused the prompt: ${serverText}`];
  if (code === 'insufficient_quota') return ['quota', `The account has no quota left (${status} insufficient_quota): ${serverText}`];
  if (status === 401) return ['auth', `The API key was rejected (401): ${serverText}`];
  if (status === 403) return ['permission', `Access was denied (403): ${serverText}`];
  if (status === 404) return ['notFound', `The images endpoint or the model was not found (404): ${serverText}`];
  if (status === 429) return ['rateLimited', `Rate limited (429)${after}: ${serverText}`];
  if (status === 408) return ['timeout', `The server timed out (408)${after}: ${serverText}`];
  if (status >= 500 || status === 409) return ['server', `The image service failed with status ${status}${after}: ${serverText}`];
  if (status >= 400) {
    // The server's own sentence is the most useful text for a rejected request; the UI adds context.
    return ['invalidRequest', serverText.startsWith('"') ? `The request was rejected (${status}): ${serverText}` : serverText];
  }
  if (status >= 300 && status < 400) {
    const target = location ? ` to ${location}` : '';
    return ['badResponse', `The server redirected the request (${status}${target}); set the base URL to the final address.`];
  }
  return ['badResponse', `The server answered with unexpected status ${status}: ${serverText}`];
}

export function tooLarge(context: Context, status: number, requestId: string | undefined): ImageApiError {
  return new ImageApiError(
    'badResponse',
    `The server's response was larger than ${formatBytes(context.maxResponseBytes)}, so reading stopped (status ${status}).`,
    { status, requestId },
  );
}

export function cancelledError(attempts: number, requestId?: string): ImageApiError {
  return new ImageApiError('cancelled', 'Generation cancelled.', { attempts, requestId });
}

export function withAttempts(error: ImageApiError, attempts: number): ImageApiError {
  return error.attempts === attempts ? error : withDetails(error, { attempts });
}

function readApiError(json: Record<string, unknown>): ApiErrorBody | undefined {
  const error = json.error;
  if (typeof error === 'string') return { message: error };
  if (!isObject(error)) return undefined;
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  return { message: text(error.message), type: text(error.type), code: text(error.code), param: text(error.param) };
}

/** What a body that is not JSON looks like, for the message; `json` when it only looks like JSON. */
function describeBody(text: string): string {
  const start = text.trimStart();
  if (start === '') return 'an empty body';
  if (start.startsWith('<')) return 'an HTML page';
  if (start.startsWith('{') || start.startsWith('[')) return 'json';
  return 'plain text';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Origin and path only: a query string may carry a presigned token. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function sentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** At most `length` characters, with an ellipsis when cut. Redact before calling it, never after. */
export function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
