import { STATUS_CODES } from 'node:http';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { errorCode, ImageApiError, type ImageApiErrorDetails, type ImageErrorKind } from './errors';
import {
  defaultBaseUrl,
  outputFormats,
  silentLogger,
  type GeneratedImage,
  type GenerationRequest,
  type GenerationResult,
  type ImageUsage,
  type Logger,
  type OutputFormat,
} from './types';

/** How the client reaches the API. Only `apiKey` is required; effects are injectable for tests. */
export interface ClientOptions {
  /** Defaults to https://api.wisgate.ai/v1; trailing slashes are ignored. */
  readonly baseUrl?: string;
  readonly apiKey: string;
  /** E.g. `gpt-image-studio/0.1.0`. */
  readonly userAgent?: string;
  /** Per attempt, headers and body included. Default 600,000 ms. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt. Default 2 (three attempts). */
  readonly maxRetries?: number;
  /** Largest response body read, JSON or downloaded image. Default 200 MB. */
  readonly maxResponseBytes?: number;
  readonly logger?: Logger;
  /** An undici Agent/Pool/Client; undici's global dispatcher otherwise. */
  readonly dispatcher?: Dispatcher;
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
  const context = createContext(options, signal);
  if (signal?.aborted) throw cancelledError(0);
  const body = buildRequestBody(request);
  const total = context.maxRetries + 1;

  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptGeneration(context, body, attempt, total);
    if (outcome.ok) {
      return toResult(context, request, outcome, attempt);
    }
    if (!outcome.retryable || attempt >= total) {
      throw outcome.toError(attempt);
    }
    const wait = retryDelay(outcome.headers, attempt - 1, context.random);
    context.logger.warn(
      context.redact(`Retrying in ${formatDuration(wait)} after ${outcome.summary} (attempt ${attempt + 1}/${total} next)`),
    );
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
 * need one). Throws ImageApiError('validation', …, {param: 'baseUrl'}) for anything but http(s).
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

/** The wait before retry number `retry`: the server's Retry-After when it is 0–60 s, else backoff. */
export function retryDelay(
  headers: Readonly<Record<string, unknown>> | undefined,
  retry: number,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const asked = headers ? parseRetryAfter(headers, now) : undefined;
  if (asked !== undefined && asked >= 0 && asked <= maxRetryAfterMs) return asked;
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

/** Replaces every occurrence of `secret` with `***`. Empty or very short secrets are left alone. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4 || !text.includes(secret)) return text;
  return text.split(secret).join('***');
}

/**
 * The first meaningful line of an unexpected body, ≤ 200 characters: for HTML the first line of
 * text (the title, usually) rather than `<!DOCTYPE html>`. Redacts `secret` before cutting, so a key
 * split by the cut cannot leak half of itself.
 */
export function excerptOf(text: string, secret?: string): string {
  let head = text.slice(0, 8192 + (secret?.length ?? 0));
  if (/^\s*</.test(head)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(head)?.[1];
    const plain = head
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, '\n')
      .replace(/&nbsp;/g, ' ');
    head = title?.trim() ? title : plain;
  }
  const line = head.split(/\r?\n/).map((part) => part.trim()).find((part) => part.length > 0) ?? '';
  const clean = redact(line, secret).replace(/\s+/g, ' ');
  return clean.length > excerptLength ? `${clean.slice(0, excerptLength - 1)}…` : clean;
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
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly signal?: AbortSignal;
  readonly redact: (text: string) => string;
}

function createContext(options: ClientOptions, signal: AbortSignal | undefined): Context {
  const baseUrl = options.baseUrl?.trim() || defaultBaseUrl;
  const apiKey = options.apiKey ?? '';
  if (apiKey.trim() === '') throw new ImageApiError('auth', 'No API key is set.', { attempts: 0 });
  // A key with control characters would make undici throw an error quoting the header value.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ImageApiError('auth', 'The API key contains spaces or characters that cannot be sent; set it again.', {
      attempts: 0,
    });
  }
  return {
    endpoint: imagesEndpoint(baseUrl),
    base: parseBaseUrl(baseUrl),
    apiKey,
    userAgent: options.userAgent || defaultUserAgent,
    timeoutMs: positive(options.timeoutMs, defaultTimeoutMs),
    maxRetries: Math.max(0, Math.floor(options.maxRetries ?? defaultMaxRetries)),
    maxResponseBytes: positive(options.maxResponseBytes, defaultMaxResponseBytes),
    logger: options.logger ?? silentLogger,
    dispatcher: options.dispatcher,
    sleep: options.sleep ?? abortableSleep,
    random: options.random ?? Math.random,
    signal,
    redact: (text) => redact(text, apiKey),
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

async function attemptGeneration(context: Context, body: string, attempt: number, total: number): Promise<AttemptOutcome> {
  const { signal } = context;
  const shownUrl = displayUrl(context.endpoint);
  const started = Date.now();
  const elapsed = (): string => `${Date.now() - started} ms`;
  const timed = withTimeout(context.timeoutMs, signal);
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
      signal: timed.signal,
      dispatcher: context.dispatcher,
      // undici's own limits default to 5 minutes and would cut a slow high-quality generation short.
      headersTimeout: context.timeoutMs,
      bodyTimeout: context.timeoutMs,
    });
    status = response.statusCode;
    headers = response.headers;
    requestId = headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id');
    const ok = status >= 200 && status < 300;
    const declared = Number(headerValue(headers, 'content-length'));
    if (ok && declared > context.maxResponseBytes) {
      discard(response.body);
      throw tooLarge(context, status, requestId);
    }
    const limit = ok ? context.maxResponseBytes : Math.min(context.maxResponseBytes, maxErrorBodyBytes);
    const scan = ok ? new Base64Scan() : undefined;
    const bytes = await readBody(response.body, limit, ok ? () => tooLarge(context, status!, requestId) : undefined, ok ? declared : undefined, scan);
    const idNote = requestId ? `request id ${requestId}, ` : '';
    const line = `POST ${shownUrl} → ${status} in ${elapsed()} (${idNote}attempt ${attempt}/${total})`;
    if (ok) context.logger.info(context.redact(line));
    else context.logger.warn(context.redact(line));
    const extracted = ok ? extractImages(bytes, scan?.checked) : undefined;
    if (extracted) return { ok: true, json: extracted.json, images: extracted.images, requestId };
    const text = bytes.toString('utf8');
    return ok ? successOutcome(context, status, text, requestId) : statusOutcome(context, status, headers, text, requestId);
  } catch (error) {
    if (signal?.aborted) throw cancelledError(attempt, requestId);
    if (error instanceof ImageApiError) {
      context.logger.warn(context.redact(`POST ${shownUrl} → ${status ?? 'failed'} in ${elapsed()}: ${error.message} (attempt ${attempt}/${total})`));
      return { ok: false, retryable: false, summary: error.message, toError: (attempts) => withAttempts(error, attempts) };
    }
    const isTimeout = timed.timedOut() || isUndiciTimeout(error);
    const reason = isTimeout ? `no complete answer within ${formatDuration(context.timeoutMs)}` : networkReason(error);
    context.logger.warn(
      context.redact(`POST ${shownUrl} → ${status ? `${status}, then ` : ''}${reason} after ${elapsed()} (attempt ${attempt}/${total})`),
    );
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
          : new ImageApiError(
              'network',
              context.redact(`Could not talk to ${context.endpoint.host}: ${reason} (${plural(attempts, 'attempt')}).`),
              { requestId, attempts, status, cause: error },
            ),
    };
  } finally {
    timed.dispose();
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
 * characters, base64 that is not canonical, broken JSON, a `b64_json` outside `data`): the generic path
 * then decides, with its messages. Everything is checked before the first byte is overwritten.
 */
function extractImages(
  body: Buffer,
  checked?: ReadonlyMap<number, number>,
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
    if (end === -1) return undefined;
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
  if (!isObject(json) || !Array.isArray(json.data)) return undefined;
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
class Base64Scan {
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

function successOutcome(context: Context, status: number, text: string, requestId: string | undefined): AttemptOutcome {
  const fail = (message: string, excerpt?: string): AttemptOutcome => {
    const error = new ImageApiError('badResponse', context.redact(message), { status, requestId, excerpt });
    return { ok: false, retryable: false, summary: error.message, toError: (attempts) => withAttempts(error, attempts) };
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const excerpt = excerptOf(text, context.apiKey);
    return fail(`The server answered ${status} with ${describeBody(text)} instead of JSON${excerpt ? `: "${excerpt}"` : ''}.`, excerpt);
  }
  if (!isObject(json)) return fail(`The server answered ${status} with JSON that is not an object.`);
  const apiError = readApiError(json);
  if (apiError?.message && !Array.isArray(json.data)) {
    return fail(`The server answered ${status} with an error: ${sentence(context.redact(apiError.message))}`);
  }
  if (!Array.isArray(json.data)) return fail(`The server answered ${status} without a "data" list of images.`);
  if (json.data.length === 0) return fail(`The server answered ${status} but returned no images.`);
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
  const excerpt = apiError?.message ? undefined : excerptOf(text, context.apiKey);
  const serverText = apiError?.message
    ? sentence(context.redact(apiError.message).slice(0, 1000))
    : excerpt
      ? `"${excerpt}".`
      : `${STATUS_CODES[status] ?? 'Unknown status'}.`;
  const retryable = isRetryableStatus(status, apiError?.code, headerValue(headers, 'x-should-retry')?.trim().toLowerCase());
  const location = headerValue(headers, 'location');
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
    const target = location ? ` to ${location.slice(0, 200)}` : '';
    return ['badResponse', `The server redirected the request (${status}${target}); set the base URL to the final address.`];
  }
  return ['badResponse', `The server answered with unexpected status ${status}: ${serverText}`];
}

async function toResult(
  context: Context,
  request: GenerationRequest,
  outcome: Extract<AttemptOutcome, { ok: true }>,
  attempts: number,
): Promise<GenerationResult> {
  const { json, requestId, images: predecoded } = outcome;
  const data = json.data as unknown[];
  const images: GeneratedImage[] = [];
  for (const [index, item] of data.entries()) {
    const label = data.length > 1 ? `Image ${index + 1} of ${data.length}` : 'The image';
    const bad = (message: string): ImageApiError =>
      new ImageApiError('badResponse', context.redact(message), { status: 200, requestId, attempts });
    if (!isObject(item)) throw bad(`${label} in the response is not an object.`);
    const revisedPrompt = typeof item.revised_prompt === 'string' ? item.revised_prompt : undefined;
    let bytes: Buffer | undefined = predecoded?.get(item);
    if (bytes) {
      // decoded by extractImages
    } else if (typeof item.b64_json === 'string') {
      bytes = decodeBase64Strict(item.b64_json);
      if (!bytes) throw bad(`${label} in the response is not valid base64.`);
      // The base64 text (4/3 of the image) is done with: let it go while the next image decodes.
      delete item.b64_json;
    } else if (typeof item.url === 'string') {
      bytes = await download(context, item.url, index, data.length, requestId, attempts);
    } else {
      throw bad(`${label} in the response has neither b64_json nor url.`);
    }
    images.push(revisedPrompt === undefined ? { bytes } : { bytes, revisedPrompt });
  }
  const echoed = json.output_format;
  const outputFormat: OutputFormat =
    typeof echoed === 'string' && (outputFormats as readonly string[]).includes(echoed)
      ? (echoed as OutputFormat)
      : (request.outputFormat ?? 'png');
  return {
    images,
    outputFormat,
    ...(isObject(json.usage) && { usage: json.usage as ImageUsage }),
    ...(requestId !== undefined && { requestId }),
    ...(typeof json.created === 'number' && { created: json.created }),
  };
}

/**
 * Fetches an image a relay returned as a URL. Not retried: the generation itself succeeded, and a
 * second POST would be billed again. The key goes only to the API's own origin.
 */
async function download(
  context: Context,
  rawUrl: string,
  index: number,
  count: number,
  requestId: string | undefined,
  attempts: number,
): Promise<Buffer> {
  const { signal } = context;
  const label = count > 1 ? `image ${index + 1} of ${count}` : 'the image';
  const bad = (message: string, status?: number): ImageApiError =>
    new ImageApiError('badResponse', context.redact(message), { status, requestId, attempts });
  if (/^data:/i.test(rawUrl)) {
    const bytes = decodeBase64Strict(rawUrl);
    if (!bytes) throw bad(`The data URL of ${label} is not valid base64.`);
    return bytes;
  }
  let url: URL;
  try {
    url = new URL(rawUrl, context.base.href.endsWith('/') ? context.base : `${context.base.href}/`);
  } catch {
    throw bad(`The URL of ${label} is not valid: "${rawUrl.slice(0, 200)}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`The URL of ${label} is not http(s): ${url.protocol}.`);
  const sameOrigin = url.origin === context.base.origin;
  const headers: Record<string, string> = { Accept: 'image/*', 'User-Agent': context.userAgent };
  if (sameOrigin) headers.Authorization = `Bearer ${context.apiKey}`;
  const started = Date.now();
  const timed = withTimeout(context.timeoutMs, signal);
  try {
    const response = await undiciRequest(url, {
      method: 'GET',
      headers,
      signal: timed.signal,
      dispatcher: context.dispatcher,
      headersTimeout: context.timeoutMs,
      bodyTimeout: context.timeoutMs,
      // Presigned CDN links often redirect; never follow one while carrying the key.
      maxRedirections: sameOrigin ? 0 : 3,
    });
    const status = response.statusCode;
    context.logger.info(context.redact(`GET ${displayUrl(url)} → ${status} in ${Date.now() - started} ms (${label})`));
    if (status < 200 || status >= 300) {
      discard(response.body);
      throw bad(`Downloading ${label} from ${url.host} failed with status ${status}.`, status);
    }
    const declared = Number(headerValue(response.headers, 'content-length'));
    if (declared > context.maxResponseBytes) {
      discard(response.body);
      throw tooLarge(context, status, requestId);
    }
    const bytes = await readBody(response.body, context.maxResponseBytes, () => tooLarge(context, status, requestId), declared);
    if (bytes.length === 0) throw bad(`Downloading ${label} from ${url.host} returned an empty file.`, status);
    return bytes;
  } catch (error) {
    if (signal?.aborted) throw cancelledError(attempts, requestId);
    if (error instanceof ImageApiError) throw withAttempts(error, attempts);
    if (timed.timedOut() || isUndiciTimeout(error)) {
      throw new ImageApiError('timeout', `Downloading ${label} took longer than ${formatDuration(context.timeoutMs)}.`, {
        requestId,
        attempts,
        cause: error,
      });
    }
    throw new ImageApiError('network', context.redact(`Could not download ${label} from ${url.host}: ${networkReason(error)}.`), {
      requestId,
      attempts,
      cause: error,
    });
  } finally {
    timed.dispose();
  }
}

/** The first buffer of a body without a usable Content-Length; it doubles as needed. */
const initialBodyBytes = 64 * 1024;

/**
 * Reads a body chunk by chunk and stops as soon as `limit` is passed: with `onOverflow` the read
 * fails with its error, without it the first `limit` bytes are kept (enough for an error message).
 * Chunks are copied into one buffer as they arrive, sized by the `declared` Content-Length when there
 * is a plausible one and doubled whenever it is full (a lying Content-Length included), so the body
 * is never held twice over as chunks and then their concatenation. The result may be a view into a
 * larger buffer (pages never written cost no memory). `scan` sees the bytes as they arrive.
 */
async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  onOverflow?: () => Error,
  declared?: number,
  scan?: Base64Scan,
): Promise<Buffer> {
  const exact = declared !== undefined && Number.isSafeInteger(declared) && declared > 0 && declared <= limit;
  let whole = Buffer.allocUnsafe(exact ? declared : Math.min(limit, initialBodyBytes));
  let size = 0;
  const reserve = (needed: number): void => {
    if (needed <= whole.length) return;
    const larger = Buffer.allocUnsafe(Math.min(limit, Math.max(needed, whole.length * 2)));
    whole.copy(larger, 0, 0, size);
    whole = larger;
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      discard(body);
      if (onOverflow) throw onOverflow();
      reserve(limit);
      chunk.copy(whole, size, 0, limit - size);
      size = limit;
      break;
    }
    reserve(size + chunk.length);
    chunk.copy(whole, size);
    size += chunk.length;
    scan?.advance(whole, size);
  }
  return size === whole.length ? whole : whole.subarray(0, size);
}

/** Stops reading a body; undici reports the destroy as an 'error' event, which nobody needs to see. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function withTimeout(
  timeoutMs: number,
  outer: AbortSignal | undefined,
): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(new Error(`Timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => fired,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
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
  if (error.attempts === attempts) return error;
  return new ImageApiError(error.kind, error.message, {
    status: error.status,
    requestId: error.requestId,
    code: error.code,
    param: error.param,
    excerpt: error.excerpt,
    attempts,
    cause: error.cause,
  } satisfies ImageApiErrorDetails);
}

const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isUndiciTimeout(error: unknown): boolean {
  return timeoutCodes.has(errorCode(error) ?? '');
}

function networkReason(error: unknown): string {
  const code = errorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (ECONNREFUSED)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return `the connection was closed unexpectedly (${code})`;
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return 'the response ended early (content length mismatch)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name could not be resolved (${code})`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `connecting timed out (${code})`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return code ? `${message} (${code})` : message;
    }
  }
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

function headerValue(headers: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
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

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${seconds < 10 ? seconds.toFixed(1).replace(/\.0$/, '') : Math.round(seconds)} s`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
