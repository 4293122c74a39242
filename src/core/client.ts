import { STATUS_CODES } from 'node:http';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { isLoopbackHost, type Lookup, type RangeOf } from './addressPolicy';
import { startDeadline, type Deadline } from './deadline';
import { ImageDownloads } from './download';
import { ImageApiError, redactError, withDetails, type ImageErrorKind } from './errors';
import { isUndiciTimeout, networkReason } from './networkErrors';
import { SecretRedactor } from './redact';
import { ByteBudget, discard, headerValue, readBody, type BodyScan } from './responseBody';
import { describeNonImage, sniffImageFormat } from './sniff';
import {
  defaultBaseUrl,
  silentLogger,
  type GeneratedImage,
  type GenerationRequest,
  type GenerationResult,
  type ImageUsage,
  type Logger,
  type OutputFormat,
} from './types';
import { formatBytes, formatDuration, plural } from './units';

/** How the client reaches the API. Only `apiKey` is required; effects are injectable for tests. */
export interface ClientOptions {
  /** Defaults to https://api.wisgate.ai/v1; trailing slashes are ignored. */
  readonly baseUrl?: string;
  readonly apiKey: string;
  /** E.g. `gpt-image-studio/0.1.0`. */
  readonly userAgent?: string;
  /** Per attempt: headers, body and the downloads of `url` images together. Default 600,000 ms. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt. Default 2 (three attempts). */
  readonly maxRetries?: number;
  /** Most bytes read for one answer: its JSON body and every image downloaded for it together. Default 200 MB. */
  readonly maxResponseBytes?: number;
  readonly logger?: Logger;
  /**
   * An undici Agent/Pool/Client (a proxy); undici's global dispatcher otherwise. Image downloads use it
   * too; without one they connect through an Agent pinned to the addresses checked (see download.ts).
   */
  readonly dispatcher?: Dispatcher;
  /** DNS for the image-URL checks: all addresses of a name. Default node:dns lookup. */
  readonly lookup?: Lookup;
  /** Which addresses count as internal for image URLs. Default addressPolicy.internalRange; tests narrow it. */
  readonly internalRange?: RangeOf;
  /** Waits between retries; must reject (or resolve early) when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the backoff jitter. */
  readonly random?: () => number;
}

export const defaultTimeoutMs = 600_000;
export const defaultMaxRetries = 2;
export const defaultMaxResponseBytes = 200 * 1024 * 1024;
export const defaultUserAgent = 'gpt-image-studio';

/** Error bodies are only read for their message, so a huge HTML error page is cut here. */
const maxErrorBodyBytes = 64 * 1024;
const maxRetryAfterMs = 60_000;
const excerptLength = 200;
/** How much of an unexpected body excerptOf looks at for its first line. */
const excerptWindow = 8192;

/**
 * POSTs one generation to `{baseUrl}/images/generations` and returns the decoded images. Retries
 * connection errors, timeouts, 408, 409, 429 (except insufficient_quota) and 5xx with exponential
 * backoff, honouring Retry-After and x-should-retry. Every failure is an ImageApiError; aborting
 * `signal` rejects at once with kind `cancelled`, also while waiting between retries.
 */
export async function generateImages(
  request: GenerationRequest,
  options: ClientOptions,
  signal?: AbortSignal,
): Promise<GenerationResult> {
  const redactor = new SecretRedactor(options.apiKey);
  try {
    return await generate(request, options, signal, redactor);
  } catch (error) {
    // The last line of defence: whatever field of the error a server filled, the key leaves it here.
    throw error instanceof ImageApiError ? redactError(error, (text) => redactor.redact(text)) : error;
  }
}

async function generate(
  request: GenerationRequest,
  options: ClientOptions,
  signal: AbortSignal | undefined,
  redactor: SecretRedactor,
): Promise<GenerationResult> {
  const context = createContext(options, signal, redactor);
  if (signal?.aborted) throw cancelledError(0);
  const body = buildRequestBody(request);
  const total = context.maxRetries + 1;

  for (let attempt = 1; ; attempt++) {
    // One deadline and one byte budget per attempt, shared by its response and the images it links to.
    const deadline = startDeadline(context.timeoutMs, signal);
    const budget = new ByteBudget(context.maxResponseBytes);
    let outcome: AttemptOutcome;
    try {
      outcome = await attemptGeneration(context, body, attempt, total, deadline, budget, request.n);
      if (outcome.ok) return await toResult(context, request, outcome, attempt, deadline, budget);
    } finally {
      deadline.dispose();
    }
    if (!outcome.retryable || attempt >= total) {
      throw outcome.toError(attempt);
    }
    const wait = retryDelay(outcome.headers, attempt - 1, context.random);
    context.logger.warn(`Retrying in ${formatDuration(wait)} after ${outcome.summary} (attempt ${attempt + 1}/${total} next)`);
    try {
      await context.sleep(wait, signal);
    } catch (error) {
      if (signal?.aborted) throw cancelledError(attempt);
      throw error;
    }
    if (signal?.aborted) throw cancelledError(attempt);
  }
}

/**
 * The exact JSON body: model, prompt, n, size, then the optional fields only when set. Never
 * `response_format`: GPT image models reject it with 400 unknown_parameter and always answer base64.
 */
export function buildRequestBody(request: GenerationRequest): string {
  const body: Record<string, unknown> = {
    model: request.model,
    prompt: request.prompt,
    n: request.n,
    size: request.size,
  };
  if (request.quality !== undefined) body.quality = request.quality;
  if (request.background !== undefined) body.background = request.background;
  if (request.outputFormat !== undefined) body.output_format = request.outputFormat;
  if (request.outputCompression !== undefined) body.output_compression = request.outputCompression;
  if (request.moderation !== undefined) body.moderation = request.moderation;
  if (request.user !== undefined) body.user = request.user;
  return JSON.stringify(body);
}

/**
 * `{baseUrl}/images/generations`, tolerating trailing slashes and keeping a query string (some relays
 * need one). Throws ImageApiError('validation', …, {param: 'baseUrl'}) for anything but https, or
 * http on this machine (localhost, 127.0.0.0/8, ::1).
 */
export function imagesEndpoint(baseUrl: string = defaultBaseUrl): URL {
  const base = parseBaseUrl(baseUrl);
  const endpoint = new URL(base.href);
  endpoint.pathname = `${base.pathname.replace(/\/+$/, '')}/images/generations`;
  return endpoint;
}

/**
 * Milliseconds the server asked us to wait: `retry-after-ms`, else `retry-after` as seconds or an
 * HTTP date. Undefined when neither parses. The caller decides whether the value is reasonable.
 */
export function parseRetryAfter(headers: Readonly<Record<string, unknown>>, now: number = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const value = headerValue(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - now;
}

/** Exponential backoff for retry number `retry` (0 = first retry): min(0.5 s × 2^retry, 8 s) × (0.75, 1]. */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  const base = Math.min(500 * 2 ** retry, 8000);
  return base * (1 - random() * 0.25);
}

/**
 * The wait before retry number `retry`: the server's Retry-After when it is over 0 and at most 60 s,
 * else backoff. `Retry-After: 0` is no hint, as in openai-node: taken literally it made 11 requests
 * in 54 ms with maxRetries 10.
 */
export function retryDelay(
  headers: Readonly<Record<string, unknown>> | undefined,
  retry: number,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const asked = headers ? parseRetryAfter(headers, now) : undefined;
  if (asked !== undefined && asked > 0 && asked <= maxRetryAfterMs) return asked;
  return backoffDelay(retry, random);
}

/**
 * Whether a failed status is worth another attempt. 400/401/403/404 and insufficient_quota never are
 * (repeating cannot fix them); otherwise an explicit `x-should-retry` wins, then the status decides.
 */
export function isRetryableStatus(status: number, code?: string, shouldRetry?: string): boolean {
  if (code === 'insufficient_quota' || code === 'moderation_blocked') return false;
  if (status === 400 || status === 401 || status === 403 || status === 404) return false;
  if (shouldRetry === 'true') return true;
  if (shouldRetry === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Decodes base64 (standard alphabet, padding optional, a `data:…;base64,` prefix and line breaks
 * tolerated). Undefined for anything else: Buffer.from(…, 'base64') silently skips garbage, which would
 * turn a broken response into a broken image file.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  let value = text;
  const dataUrl = /^data:[^,]{0,200};base64,/i.exec(value);
  if (dataUrl) value = value.slice(dataUrl[0].length);
  // What servers send is one unbroken canonical string: decode it, re-encode and compare (~3 ms for a
  // 2 MB image; the regular expressions below take ~15 ms). Anything else takes the careful path.
  const bytes = Buffer.from(value, 'base64');
  if (value.length > 0 && bytes.toString('base64') === value) return bytes;
  if (/\s/.test(value)) value = value.replace(/\s+/g, '');
  if (value.length === 0 || value.length % 4 === 1) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const padding = value.length - value.replace(/=+$/, '').length;
  if (padding > 0 && value.length % 4 !== 0) return undefined;
  return Buffer.from(value, 'base64');
}

/**
 * The first meaningful line of an unexpected body, ≤ 200 characters: for HTML the first line of
 * text (the title, usually) rather than `<!DOCTYPE html>`. Redacts `secret` (raw or encoded) before
 * each cut, so a key split by the 8 KB window or the 200-character line cannot leak part of itself.
 */
export function excerptOf(text: string, secret?: string | SecretRedactor): string {
  const redactor = secret instanceof SecretRedactor ? secret : new SecretRedactor(secret);
  let head = redactor.head(text, excerptWindow);
  if (/^\s*</.test(head)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(head)?.[1];
    const plain = head
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, '\n')
      .replace(/&nbsp;/g, ' ');
    head = title?.trim() ? title : plain;
  }
  const line = head.split(/\r?\n/).map((part) => part.trim()).find((part) => part.length > 0) ?? '';
  // Again after the tags are gone: markup inside the key (`sk-<b>…`) is no hiding place.
  return cut(redactor.redact(line).replace(/\s+/g, ' '), excerptLength);
}

/** A sleep that rejects as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Context {
  readonly endpoint: URL;
  readonly base: URL;
  readonly apiKey: string;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  /** Redacts every line, so no caller has to remember to. */
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher;
  readonly lookup?: Lookup;
  readonly internalRange?: RangeOf;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly signal?: AbortSignal;
  readonly redactor: SecretRedactor;
  readonly redact: (text: string) => string;
}

function createContext(options: ClientOptions, signal: AbortSignal | undefined, redactor: SecretRedactor): Context {
  const baseUrl = options.baseUrl?.trim() || defaultBaseUrl;
  const apiKey = options.apiKey ?? '';
  if (apiKey.trim() === '') throw new ImageApiError('auth', 'No API key is set.', { attempts: 0 });
  // A key with control characters would make undici throw an error quoting the header value.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ImageApiError('auth', 'The API key contains spaces or characters that cannot be sent; set it again.', {
      attempts: 0,
    });
  }
  const redact = (text: string): string => redactor.redact(text);
  const logger = options.logger ?? silentLogger;
  return {
    endpoint: imagesEndpoint(baseUrl),
    base: parseBaseUrl(baseUrl),
    apiKey,
    userAgent: options.userAgent || defaultUserAgent,
    timeoutMs: positive(options.timeoutMs, defaultTimeoutMs),
    maxRetries: Math.max(0, Math.floor(options.maxRetries ?? defaultMaxRetries)),
    maxResponseBytes: positive(options.maxResponseBytes, defaultMaxResponseBytes),
    logger: {
      info: (message) => logger.info(redact(message)),
      warn: (message) => logger.warn(redact(message)),
      error: (message) => logger.error(redact(message)),
    },
    dispatcher: options.dispatcher,
    lookup: options.lookup,
    internalRange: options.internalRange,
    sleep: options.sleep ?? abortableSleep,
    random: options.random ?? Math.random,
    signal,
    redactor,
    redact,
  };
}

function parseBaseUrl(baseUrl: string): URL {
  const hint = 'use an http(s) URL such as https://api.wisgate.ai/v1';
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new ImageApiError('validation', `The base URL "${baseUrl}" is not a URL: ${hint}.`, { param: 'baseUrl', attempts: 0 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImageApiError('validation', `The base URL must start with http:// or https://, not ${url.protocol}//: ${hint}.`, {
      param: 'baseUrl',
      attempts: 0,
    });
  }
  // The key goes in a header: over plain http it would cross every network between here and the host.
  // Only this machine is exempt (local relays, the test fixture): refused, not warned about.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ImageApiError(
      'validation',
      `gptImage.baseUrl uses http:// for ${url.host}, which would send your API key unencrypted; use https:// ` +
        '(plain http:// is allowed only for localhost, 127.0.0.1 and ::1).',
      { param: 'baseUrl', attempts: 0 },
    );
  }
  if (url.username || url.password) {
    throw new ImageApiError('validation', 'The base URL must not contain a user name or password; the API key is sent separately.', {
      param: 'baseUrl',
      attempts: 0,
    });
  }
  url.hash = '';
  return url;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

interface ApiErrorBody {
  readonly message?: string;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
}

type AttemptOutcome =
  | {
      readonly ok: true;
      readonly json: Record<string, unknown>;
      readonly requestId?: string;
      /** Images already decoded from the body, by their `data` item (see extractImages). */
      readonly images?: ReadonlyMap<object, Buffer>;
    }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly headers?: Readonly<Record<string, unknown>>;
      /** For the retry log line, e.g. `503 Service Unavailable`. */
      readonly summary: string;
      readonly toError: (attempts: number) => ImageApiError;
    };

async function attemptGeneration(
  context: Context,
  body: string,
  attempt: number,
  total: number,
  deadline: Deadline,
  budget: ByteBudget,
  n: number,
): Promise<AttemptOutcome> {
  const { signal } = context;
  const shownUrl = displayUrl(context.endpoint);
  const started = Date.now();
  const elapsed = (): string => `${Date.now() - started} ms`;
  let status: number | undefined;
  let requestId: string | undefined;
  let headers: Record<string, unknown> = {};
  try {
    const response = await undiciRequest(context.endpoint, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${context.apiKey}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'User-Agent': context.userAgent,
      },
      body,
      signal: deadline.signal,
      dispatcher: context.dispatcher,
      // undici's own limits default to 5 minutes and would cut a slow high-quality generation short.
      headersTimeout: context.timeoutMs,
      bodyTimeout: context.timeoutMs,
    });
    status = response.statusCode;
    headers = response.headers;
    const id = headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id');
    // A server can put anything in a header, the key included: it is redacted once, here.
    requestId = id === undefined ? undefined : context.redact(id);
    const ok = status >= 200 && status < 300;
    const declared = Number(headerValue(headers, 'content-length'));
    if (ok && declared > budget.remaining) {
      discard(response.body);
      throw tooLarge(context, status, requestId);
    }
    const limit = ok ? budget.remaining : Math.min(budget.remaining, maxErrorBodyBytes);
    const scan = ok ? new Base64Scan() : undefined;
    const bytes = await readBody(response.body, limit, ok ? () => tooLarge(context, status!, requestId) : undefined, ok ? declared : undefined, scan);
    if (ok) budget.spend(bytes.length);
    const idNote = requestId ? `request id ${requestId}, ` : '';
    const line = `POST ${shownUrl} → ${status} in ${elapsed()} (${idNote}attempt ${attempt}/${total})`;
    if (ok) context.logger.info(line);
    else context.logger.warn(line);
    const extracted = ok ? extractImages(bytes, scan?.checked, n) : undefined;
    if (extracted) return { ok: true, json: extracted.json, images: extracted.images, requestId };
    const text = bytes.toString('utf8');
    return ok ? successOutcome(context, status, text, requestId, n) : statusOutcome(context, status, headers, text, requestId);
  } catch (error) {
    if (signal?.aborted) throw cancelledError(attempt, requestId);
    if (error instanceof ImageApiError) {
      context.logger.warn(`POST ${shownUrl} → ${status ?? 'failed'} in ${elapsed()}: ${error.message} (attempt ${attempt}/${total})`);
      return { ok: false, retryable: false, summary: error.message, toError: (attempts) => withAttempts(error, attempts) };
    }
    const isTimeout = deadline.timedOut() || isUndiciTimeout(error);
    const reason = isTimeout ? `no complete answer within ${formatDuration(context.timeoutMs)}` : networkReason(error);
    context.logger.warn(`POST ${shownUrl} → ${status ? `${status}, then ` : ''}${reason} after ${elapsed()} (attempt ${attempt}/${total})`);
    return {
      ok: false,
      retryable: true,
      summary: reason,
      toError: (attempts) =>
        isTimeout
          ? new ImageApiError(
              'timeout',
              `The image service did not answer within ${formatDuration(context.timeoutMs)} (${plural(attempts, 'attempt')}).`,
              { requestId, attempts, status, cause: error },
            )
          : new ImageApiError('network', `Could not talk to ${context.endpoint.host}: ${reason} (${plural(attempts, 'attempt')}).`, {
              requestId,
              attempts,
              status,
              cause: error,
            }),
    };
  }
}

const b64Key = Buffer.from('"b64_json"');
const b64Placeholder = /^\u0000b64#(\d+)$/;
/** Base64 characters decoded per step: a multiple of 4, and small enough to stay in V8's young generation. */
const b64Step = 64 * 1024;

/**
 * The fast path for a 200 answer: decodes every `b64_json` straight from the body bytes, 64 KB of base64
 * at a time and in place (3 bytes out for every 4 read, so the image overwrites only base64 already
 * read; the images are views of the body), and JSON-parses only the rest. The generic way (bytes →
 * text → JSON.parse → decode) makes three more full-size copies of an answer that can be 30 MB (ten
 * 1536x1024 PNGs), and V8 does not reclaim them before the request is over: the process grew by 4–5×
 * the answer; this way it holds the body once. Undefined whenever anything is unusual (escaped
 * characters, base64 that is not canonical, broken JSON, a `b64_json` outside `data`, more images than
 * the `maxImages` asked for): the generic path then decides, with its messages. Everything is checked
 * before the first byte is overwritten.
 */
function extractImages(
  body: Buffer,
  checked: ReadonlyMap<number, number> | undefined,
  maxImages: number,
): { json: Record<string, unknown>; images: Map<object, Buffer> } | undefined {
  const pieces: string[] = [];
  const ranges: Array<readonly [number, number]> = [];
  const scratch = Buffer.allocUnsafe((b64Step / 4) * 3);
  let from = 0;
  for (let at = body.indexOf(b64Key); at !== -1; at = body.indexOf(b64Key, from)) {
    let i = skipJsonSpace(body, at + b64Key.length);
    if (body[i] !== 0x3a /* : */) return undefined;
    i = skipJsonSpace(body, i + 1);
    if (body[i] !== 0x22 /* " */) return undefined;
    const start = i + 1;
    const end = body.indexOf(0x22, start);
    if (end === -1 || ranges.length >= maxImages) return undefined;
    if (decodeBase64Range(body, start, end, scratch, checked?.get(start)) === undefined) return undefined;
    // The JSON text gets `"b64_json":"\u0000b64#0"` instead: a value no server sends.
    pieces.push(body.toString('utf8', from, start), `\\u0000b64#${ranges.length}`);
    ranges.push([start, end]);
    from = end;
  }
  if (ranges.length === 0) return undefined;
  pieces.push(body.toString('utf8', from));
  let json: unknown;
  try {
    json = JSON.parse(pieces.join(''));
  } catch {
    return undefined;
  }
  if (!isObject(json) || !Array.isArray(json.data) || json.data.length > maxImages) return undefined;
  const found = new Map<object, number>();
  for (const item of json.data) {
    if (!isObject(item) || typeof item.b64_json !== 'string') continue;
    const index = b64Placeholder.exec(item.b64_json)?.[1];
    if (index === undefined) return undefined;
    found.set(item, Number(index));
  }
  if (found.size !== ranges.length) return undefined;
  // All checked: now decode for real, each image into the start of its own base64.
  const images = new Map<object, Buffer>();
  for (const [item, index] of found) {
    const [start, end] = ranges[index];
    images.set(item, body.subarray(start, start + decodeBase64Range(body, start, end, body.subarray(start))!));
    delete (item as Record<string, unknown>).b64_json;
  }
  return { json, images };
}

function skipJsonSpace(body: Buffer, i: number): number {
  while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  return i;
}

/**
 * Decodes `body[start, end)` as standard base64 (padding optional) and returns the decoded length, or
 * undefined when it is not base64. With `into` of 48 KB the bytes only pass through it (a check);
 * with `into = body.subarray(start)` they land in place. Node's decoder skips characters outside the
 * alphabet and stops at a misplaced `=`, so any such character leaves a step short of its ⌊3n/4⌋
 * bytes; `-` and `_` (base64url), which it would accept, are refused up front. A check skips the
 * whole steps below `checkedTo` (Base64Scan checked them while the body arrived), never the last.
 */
function decodeBase64Range(body: Buffer, start: number, end: number, into: Buffer, checkedTo = start): number | undefined {
  const length = end - start;
  let padding = 0;
  while (padding < 2 && padding < length && body[end - 1 - padding] === 0x3d /* = */) padding++;
  const data = length - padding;
  if (data === 0 || data % 4 === 1 || (padding > 0 && length % 4 !== 0)) return undefined;
  const range = body.subarray(start, end);
  if (range.includes(0x2d /* - */) || range.includes(0x5f /* _ */)) return undefined;
  const inPlace = into.buffer === body.buffer && into.byteOffset === body.byteOffset + start;
  let written = 0;
  for (let step = start; step < end; step += b64Step) {
    const stop = Math.min(step + b64Step, end);
    if (!inPlace && stop <= checkedTo && stop < end) {
      written += (b64Step / 4) * 3;
      continue;
    }
    const chars = stop - step - (stop === end ? padding : 0);
    // The string is a copy, so writing in place never clobbers what this step reads.
    const n = into.write(body.toString('latin1', step, stop), inPlace ? written : 0, 'base64');
    if (n !== Math.floor((chars * 3) / 4)) return undefined;
    written += n;
  }
  return written === Math.floor((data * 3) / 4) ? written : undefined;
}

/**
 * Checks the base64 of each `b64_json` string, whole 64 KB steps exactly as decodeBase64Range does,
 * while the body is still arriving, and records how far each string (by its start) checked out;
 * extractImages then skips those steps. Besides moving work into the wait for the network, the
 * short-lived strings this allocates make V8 collect young garbage during the read, above all the
 * socket's 64 KB chunks, already copied: without that they all stay allocated until the body is in,
 * and the process holds the body twice. Purely an optimisation: anything unexpected just stops it.
 */
class Base64Scan implements BodyScan {
  /** String start → end of the whole steps that decoded to their full ⌊3n/4⌋ bytes. */
  readonly checked = new Map<number, number>();
  private cursor = 0;
  private start = -1;
  private next = -1;
  private stopped = false;
  private scratch: Buffer | undefined;

  /** `body[0, size)` has arrived; the bytes before `size` never change again. */
  advance(body: Buffer, size: number): void {
    if (this.stopped) return;
    const view = body.subarray(0, size);
    for (;;) {
      if (this.start === -1) {
        const at = view.indexOf(b64Key, this.cursor);
        if (at === -1) {
          this.cursor = Math.max(this.cursor, size - b64Key.length + 1);
          return;
        }
        this.cursor = at;
        let i = skipJsonSpace(view, at + b64Key.length);
        if (i >= size) return;
        if (view[i] !== 0x3a /* : */) return this.stop();
        i = skipJsonSpace(view, i + 1);
        if (i >= size) return;
        if (view[i] !== 0x22 /* " */) return this.stop();
        this.start = this.next = i + 1;
      }
      const quote = view.subarray(this.next, this.next + b64Step).indexOf(0x22);
      if (quote !== -1) {
        // The string ends in this step: extractImages checks its last step itself.
        this.cursor = this.next + quote;
        this.start = this.next = -1;
        continue;
      }
      if (this.next + b64Step > size) return;
      this.scratch ??= Buffer.allocUnsafe((b64Step / 4) * 3);
      const n = this.scratch.write(view.toString('latin1', this.next, this.next + b64Step), 0, 'base64');
      if (n !== (b64Step / 4) * 3) return this.stop();
      this.next += b64Step;
      this.checked.set(this.start, this.next);
    }
  }

  private stop(): void {
    this.stopped = true;
  }
}

function successOutcome(context: Context, status: number, text: string, requestId: string | undefined, n: number): AttemptOutcome {
  const fail = (message: string, excerpt?: string): AttemptOutcome => {
    const error = new ImageApiError('badResponse', context.redact(message), { status, requestId, excerpt });
    return { ok: false, retryable: false, summary: error.message, toError: (attempts) => withAttempts(error, attempts) };
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const excerpt = excerptOf(text, context.redactor);
    return fail(`The server answered ${status} with ${describeBody(text)} instead of JSON${excerpt ? `: "${excerpt}"` : ''}.`, excerpt);
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

function statusOutcome(
  context: Context,
  status: number,
  headers: Readonly<Record<string, unknown>>,
  text: string,
  requestId: string | undefined,
): AttemptOutcome {
  let apiError: ApiErrorBody | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    apiError = isObject(parsed) ? readApiError(parsed) : undefined;
  } catch {
    apiError = undefined;
  }
  const excerpt = apiError?.message ? undefined : excerptOf(text, context.redactor);
  const serverText = apiError?.message
    ? sentence(context.redact(apiError.message).slice(0, 1000))
    : excerpt
      ? `"${excerpt}".`
      : `${STATUS_CODES[status] ?? 'Unknown status'}.`;
  const retryable = isRetryableStatus(status, apiError?.code, headerValue(headers, 'x-should-retry')?.trim().toLowerCase());
  const target = headerValue(headers, 'location');
  // Redacted before it is cut: a key straddling the cut would otherwise survive in part.
  const location = target === undefined ? undefined : cut(context.redact(target), excerptLength);
  return {
    ok: false,
    retryable,
    headers,
    summary: `${status} ${STATUS_CODES[status] ?? ''}`.trim(),
    toError: (attempts) => {
      const [kind, message] = statusMessage(status, apiError?.code, serverText, attempts, location);
      return new ImageApiError(kind, context.redact(message), {
        status,
        requestId,
        code: apiError?.code,
        param: apiError?.param,
        excerpt,
        attempts,
      });
    },
  };
}

function statusMessage(
  status: number,
  code: string | undefined,
  serverText: string,
  attempts: number,
  location: string | undefined,
): [ImageErrorKind, string] {
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
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

async function toResult(
  context: Context,
  request: GenerationRequest,
  outcome: Extract<AttemptOutcome, { ok: true }>,
  attempts: number,
  deadline: Deadline,
  budget: ByteBudget,
): Promise<GenerationResult> {
  const { json, requestId, images: predecoded } = outcome;
  const data = json.data as unknown[];
  const bad = (message: string): ImageApiError => new ImageApiError('badResponse', message, { status: 200, requestId, attempts });
  if (data.length > request.n) {
    throw bad(`The server answered with ${data.length} images but ${request.n} ${request.n === 1 ? 'was' : 'were'} asked for, so none were saved.`);
  }
  const downloads = new ImageDownloads(
    {
      base: context.base,
      apiKey: context.apiKey,
      userAgent: context.userAgent,
      dispatcher: context.dispatcher,
      logger: context.logger,
      redact: context.redact,
      lookup: context.lookup,
      rangeOf: context.internalRange,
      signal: context.signal,
      requestId,
      attempts,
    },
    deadline,
    budget,
  );
  const images: GeneratedImage[] = [];
  try {
    for (const [index, item] of data.entries()) {
      const label = data.length > 1 ? `Image ${index + 1} of ${data.length}` : 'The image';
      if (!isObject(item)) throw bad(`${label} in the response is not an object.`);
      const revisedPrompt = typeof item.revised_prompt === 'string' ? context.redact(item.revised_prompt) : undefined;
      let bytes: Buffer | undefined = predecoded?.get(item);
      if (bytes) {
        // decoded by extractImages
      } else if (typeof item.b64_json === 'string') {
        bytes = decodeBase64Strict(item.b64_json);
        if (!bytes) throw bad(`${label} in the response is not valid base64.`);
        // The base64 text (4/3 of the image) is done with: let it go while the next image decodes.
        delete item.b64_json;
      } else if (typeof item.url === 'string') {
        bytes = await fromUrl(downloads, item.url, label, bad);
      } else {
        throw bad(`${label} in the response has neither b64_json nor url.`);
      }
      const format = imageFormat(bytes, label, images[0]?.format, bad);
      images.push(revisedPrompt === undefined ? { bytes, format } : { bytes, format, revisedPrompt });
    }
  } finally {
    downloads.close();
  }
  const outputFormat = images[0].format;
  const echoed = json.output_format;
  if (typeof echoed === 'string' && echoed !== outputFormat) {
    context.logger.warn(`The server said output_format "${cut(echoed, 20)}" but the bytes are ${formatName(outputFormat)}: saved as ${formatName(outputFormat)}.`);
  }
  return {
    images,
    outputFormat,
    ...(isObject(json.usage) && { usage: json.usage as ImageUsage }),
    ...(requestId !== undefined && { requestId }),
    ...(typeof json.created === 'number' && { created: json.created }),
  };
}

/** A `url` item: a data URL is decoded (its media type says nothing), anything else downloaded. */
async function fromUrl(downloads: ImageDownloads, url: string, label: string, bad: (message: string) => ImageApiError): Promise<Buffer> {
  const lower = `${label.charAt(0).toLowerCase()}${label.slice(1)}`;
  if (!/^data:/i.test(url)) return downloads.fetch(url, lower);
  const bytes = decodeBase64Strict(url);
  if (!bytes) throw bad(`The data URL of ${lower} is not valid base64.`);
  return bytes;
}

/**
 * The format the bytes are (issue #9, part 3): HTML, JSON or a GIF under `b64_json`, a
 * `data:text/html` URL or JPEG bytes under an `output_format: "webp"` echo are never saved with an
 * image extension. One answer is one format, as the file names of one generation share an extension.
 */
function imageFormat(
  bytes: Buffer,
  label: string,
  first: OutputFormat | undefined,
  bad: (message: string) => ImageApiError,
): OutputFormat {
  const format = sniffImageFormat(bytes);
  if (!format) throw bad(`${label} is not a PNG, JPEG or WebP image but ${describeNonImage(bytes)}, so nothing was saved.`);
  if (first !== undefined && format !== first) {
    throw bad(`${label} is ${formatName(format)} but image 1 is ${formatName(first)}; one answer must not mix formats, so nothing was saved.`);
  }
  return format;
}

function formatName(format: OutputFormat): string {
  return format === 'png' ? 'a PNG' : format === 'jpeg' ? 'a JPEG' : 'a WebP';
}

function tooLarge(context: Context, status: number, requestId: string | undefined): ImageApiError {
  return new ImageApiError(
    'badResponse',
    `The server's response was larger than ${formatBytes(context.maxResponseBytes)}, so reading stopped (status ${status}).`,
    { status, requestId },
  );
}

function cancelledError(attempts: number, requestId?: string): ImageApiError {
  return new ImageApiError('cancelled', 'Generation cancelled.', { attempts, requestId });
}

function withAttempts(error: ImageApiError, attempts: number): ImageApiError {
  return error.attempts === attempts ? error : withDetails(error, { attempts });
}

function readApiError(json: Record<string, unknown>): ApiErrorBody | undefined {
  const error = json.error;
  if (typeof error === 'string') return { message: error };
  if (!isObject(error)) return undefined;
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  return { message: text(error.message), type: text(error.type), code: text(error.code), param: text(error.param) };
}

function describeBody(text: string): string {
  const start = text.trimStart();
  if (start === '') return 'an empty body';
  if (start.startsWith('<')) return 'an HTML page';
  if (start.startsWith('{') || start.startsWith('[')) return 'incomplete or malformed JSON';
  return 'plain text';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Origin and path only: a query string may carry a presigned token. */
function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function sentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** At most `length` characters, with an ellipsis when cut. Redact before calling it, never after. */
function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
