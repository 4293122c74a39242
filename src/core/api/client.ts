import type { Dispatcher } from 'undici';
import { maxApiKeyLength } from '../apiKeyRules';
import { ImageApiError, redactError } from '../errors';
import {
  defaultBaseUrl,
  type GenerationRequest,
  type GenerationResult,
  type Logger,
  silentLogger,
  type SpooledGenerationResult,
} from '../types';
import type { Lookup, RangeOf } from './addressPolicy';
import { extractImages } from './base64Images';
import { type Deadline, startDeadline } from './deadline';
import { toSpooledResult } from './imageResult';
import { sendImagesRequest } from './imagesRequest';
import { redactorFor, type SecretRedactor } from './redact';
import { buildRequestBody, imagesEndpoint, type ImagesOperation, parseBaseUrl } from './request';
import { ByteBudget, discard, headerValue, readBody } from './responseBody';
import { readImagesStreaming, removeSpooled, type SpoolTarget } from './streamingImages';
import { type AttemptOutcome, cancelledError, displayUrl, statusOutcome, successOutcome, tooLarge, withAttempts } from './responseErrors';
import { abortableSleep, defaultRetryServerErrorsWithinMs, retryDelay } from './retry';
import { formatDuration } from './units';

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
  /**
   * A 5xx answered within this many ms of the request being sent is retried; a later one may follow a
   * billed image and is not. Default retry.ts defaultRetryServerErrorsWithinMs (10 s); tests shrink it.
   */
  readonly retryServerErrorsWithinMs?: number;
}

export const defaultTimeoutMs = 600_000;
export const defaultMaxRetries = 2;
export const defaultMaxResponseBytes = 200 * 1024 * 1024;
export const defaultUserAgent = 'gpt-image-studio';

export { mayBeCharged } from './responseErrors';

/** Error bodies are only read for their message, so a huge HTML error page is cut here. */
const maxErrorBodyBytes = 64 * 1024;
/**
 * One kind of call to the images API: which endpoint, how many images the answer may hold, and the body.
 * Generations and edits share everything else: transport, retries, limits, logging, errors, redaction.
 */
export interface ImagesCall {
  readonly operation: ImagesOperation;
  /** The images asked for: an answer with more is refused. */
  readonly n: number;
  /** A fresh body for each attempt (an edit's form gets a new boundary on a retry). */
  readonly payload: () => RequestPayload;
}

export interface RequestPayload {
  readonly body: string | Buffer;
  /** `application/json`, or `multipart/form-data; boundary=…` for an edit. */
  readonly contentType: string;
}

/**
 * POSTs one generation to `{baseUrl}/images/generations` and returns the decoded images. Retries, with
 * exponential backoff and Retry-After, only what cannot have been billed (issue #11): failures before
 * any byte of the request was sent (connect, DNS, TLS), 408, 409, 429 (not insufficient_quota) and a
 * 5xx answered quickly; `x-should-retry: false` stops any of them. A timeout or reset after sending, a
 * late 5xx and anything after a 2xx status line are reported with `mayBeCharged`, never re-sent. One
 * log line per decision names the rule. Every failure is an ImageApiError; aborting `signal` rejects at
 * once with kind `cancelled`, also while waiting between retries.
 */
export async function generateImages(
  request: GenerationRequest,
  options: ClientOptions,
  signal?: AbortSignal,
): Promise<GenerationResult> {
  const body = buildRequestBody(request);
  // Without a spool folder every image is in memory.
  const call: ImagesCall = { operation: 'generations', n: request.n, payload: () => ({ body, contentType: 'application/json' }) };
  return (await callImagesApi(call, options, signal)) as GenerationResult;
}

/**
 * generateImages, but each `b64_json` image is decoded into a temp file in `spool.dir` while the body
 * arrives (see streamingImages.ts), so memory stays flat whatever the size of the answer. The caller owns
 * the temp files of the result (saveImages takes them over); on any failure none are left.
 */
export async function generateImagesToFiles(
  request: GenerationRequest,
  options: ClientOptions,
  spool: SpoolTarget,
  signal?: AbortSignal,
): Promise<SpooledGenerationResult> {
  const body = buildRequestBody(request);
  return callImagesApi({ operation: 'generations', n: request.n, payload: () => ({ body, contentType: 'application/json' }) }, options, signal, spool);
}

/**
 * Sends `call` with the policy {@link generateImages} describes; edits.ts uses it too. With `spool`,
 * `b64_json` images arrive as temp files there (see generateImagesToFiles); without it, in memory.
 */
export async function callImagesApi(call: ImagesCall, options: ClientOptions, signal?: AbortSignal): Promise<GenerationResult>;
export async function callImagesApi(
  call: ImagesCall,
  options: ClientOptions,
  signal: AbortSignal | undefined,
  spool: SpoolTarget,
): Promise<SpooledGenerationResult>;
export async function callImagesApi(
  call: ImagesCall,
  options: ClientOptions,
  signal?: AbortSignal,
  spool?: SpoolTarget,
): Promise<SpooledGenerationResult> {
  const redactor = redactorFor(options.apiKey);
  try {
    return await run(call, options, signal, redactor, spool);
  } catch (error) {
    // The last line of defence: whatever field of the error a server filled, the key leaves it here.
    throw error instanceof ImageApiError ? redactError(error, (text) => redactor.redact(text)) : error;
  }
}

async function run(
  call: ImagesCall,
  options: ClientOptions,
  signal: AbortSignal | undefined,
  redactor: SecretRedactor,
  spool: SpoolTarget | undefined,
): Promise<SpooledGenerationResult> {
  const context = { ...createContext(options, signal, redactor, call.operation), spool };
  if (signal?.aborted) throw cancelledError(0);
  const total = context.maxRetries + 1;

  // One byte budget per generation (issue #9): the JSON of every attempt that answered 2xx and every
  // download together. Error bodies are read only in part and never drawn from it.
  const budget = new ByteBudget(context.maxResponseBytes);
  for (let attempt = 1; ; attempt++) {
    // One deadline per attempt, shared by its response and the images it links to.
    const deadline = startDeadline(context.timeoutMs, signal);
    let outcome: AttemptOutcome;
    try {
      outcome = await attemptGeneration(context, call.payload(), attempt, total, deadline, budget, call.n);
      if (outcome.ok) {
        const ok = outcome;
        return await toSpooledResult(context, call, ok, attempt, deadline, budget).catch(async (error: unknown) => {
          await removeSpooled(ok.images?.values());
          throw error;
        });
      }
    } finally {
      deadline.dispose();
    }
    const because = outcome.because ?? outcome.summary;
    if (!outcome.retryable || attempt >= total) {
      const spent = outcome.retryable ? `; it would be retried, but ${attempt} of ${total} attempts are used` : '';
      context.logger.warn(`Not retrying: ${because}${spent}`);
      throw outcome.toError(attempt);
    }
    const wait = retryDelay(outcome.headers, attempt - 1, context.random);
    context.logger.warn(`Retrying: ${because}; attempt ${attempt + 1}/${total} in ${formatDuration(wait)}`);
    try {
      await context.sleep(wait, signal);
    } catch (error) {
      if (signal?.aborted) throw cancelledError(attempt);
      throw error;
    }
    if (signal?.aborted) throw cancelledError(attempt);
  }
}

export interface Context {
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
  readonly retryServerErrorsWithinMs: number;
  readonly signal?: AbortSignal;
  readonly redactor: SecretRedactor;
  readonly redact: (text: string) => string;
  /** Where a 2xx body's images are decoded as it arrives; without it the body is read into memory. */
  readonly spool?: SpoolTarget;
}

export function createContext(
  options: ClientOptions,
  signal: AbortSignal | undefined,
  redactor: SecretRedactor,
  operation: ImagesOperation,
): Context {
  const baseUrl = options.baseUrl?.trim() || defaultBaseUrl;
  const apiKey = options.apiKey ?? '';
  if (apiKey.trim() === '') throw new ImageApiError('auth', 'No API key is set.', { attempts: 0 });
  if (apiKey.length > maxApiKeyLength) {
    throw new ImageApiError('auth', `The API key is longer than ${maxApiKeyLength} characters, which no API key is; set it again.`, { attempts: 0 });
  }
  // A key with control characters would make undici throw an error quoting the header value.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ImageApiError('auth', 'The API key contains spaces or characters that cannot be sent; set it again.', {
      attempts: 0,
    });
  }
  const redact = (text: string): string => redactor.redact(text);
  const logger = options.logger ?? silentLogger;
  return {
    endpoint: imagesEndpoint(baseUrl, operation),
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
    retryServerErrorsWithinMs: positive(options.retryServerErrorsWithinMs, defaultRetryServerErrorsWithinMs),
    signal,
    redactor,
    redact,
  };
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

async function attemptGeneration(
  context: Context,
  payload: RequestPayload,
  attempt: number,
  total: number,
  deadline: Deadline,
  budget: ByteBudget,
  n: number,
): Promise<AttemptOutcome> {
  const { signal } = context;
  const shownUrl = displayUrl(context.endpoint);
  const exchange = sendImagesRequest(context, payload, 'application/json', deadline);
  const elapsed = (): string => `${exchange.elapsedMs()} ms`;
  try {
    const body = await exchange.answer;
    const { headers, requestId, answeredMs } = exchange;
    const status = exchange.status!;
    const ok = status >= 200 && status < 300;
    const declared = Number(headerValue(headers, 'content-length'));
    if (ok && declared > budget.remaining) {
      discard(body);
      throw tooLarge(context, status, requestId);
    }
    const limit = ok ? budget.remaining : Math.min(budget.remaining, maxErrorBodyBytes);
    const overflow = (): Error => tooLarge(context, status, requestId);
    const streamed = ok && context.spool ? await readImagesStreaming(body, limit, overflow, context.spool, n) : undefined;
    const line = (): string => `POST ${shownUrl} → ${status} in ${elapsed()} (${requestId ? `request id ${requestId}, ` : ''}attempt ${attempt}/${total})`;
    if (streamed?.kind === 'spooled') {
      budget.spend(streamed.size);
      context.logger.info(line());
      return { ok: true, json: streamed.json, images: streamed.files, requestId };
    }
    const bytes = streamed ? streamed.bytes : await readBody(body, limit, ok ? overflow : undefined, ok ? declared : undefined);
    if (ok) budget.spend(streamed ? streamed.size : bytes.length);
    if (ok) context.logger.info(line());
    else context.logger.warn(line());
    const extracted = ok ? extractImages(bytes, n) : undefined;
    if (extracted) return { ok: true, json: extracted.json, images: extracted.images, requestId };
    const text = bytes.toString('utf8');
    return ok ? successOutcome(context, status, text, requestId, n) : statusOutcome(context, status, headers, text, requestId, answeredMs);
  } catch (error) {
    const { status, requestId } = exchange;
    if (signal?.aborted) throw cancelledError(attempt, requestId);
    if (error instanceof ImageApiError) {
      context.logger.warn(`POST ${shownUrl} → ${status ?? 'failed'} in ${elapsed()}: ${error.message} (attempt ${attempt}/${total})`);
      return { ok: false, retryable: false, summary: error.message, toError: (attempts) => withAttempts(error, attempts) };
    }
    const outcome = exchange.transportFailure(error);
    context.logger.warn(`POST ${shownUrl} → ${status ? `${status}, then ` : ''}${outcome.summary} after ${elapsed()} (attempt ${attempt}/${total})`);
    return outcome;
  }
}
