import { ImageApiError, redactError } from '../errors';
import type { GenerationRequest, GenerationResult } from '../types';
import type { OutputFormat } from '../../shared/options';
import { decodeBase64Strict } from './base64Images';
import { type ClientOptions, type Context, createContext, generateImages, mayBeCharged } from './client';
import { startDeadline } from './deadline';
import { EventStreamParser, readImageEvent } from './eventStream';
import { toResult, usageOf } from './imageResult';
import { sendImagesRequest } from './imagesRequest';
import { isUndiciTimeout, networkReason } from './networkErrors';
import { redactorFor } from './redact';
import { buildRequestBody } from './request';
import { ByteBudget, discard, headerValue, readBody } from './responseBody';
import { cancelledError, displayUrl, statusOutcome, successOutcome, tooLarge } from './responseErrors';
import { retryDelay } from './retry';
import { readDimensions } from '../imageSize';
import { describeNonImage, sniffImageFormat } from './sniff';
import { formatDuration } from './units';

/** A preview as it arrived: decoded and sniffed, never written anywhere by the core. */
export interface PartialImage {
  readonly bytes: Buffer;
  readonly format: OutputFormat;
  /** 0-based, in the order they arrived. */
  readonly index: number;
}

export interface StreamOptions {
  /** 1–3 previews asked for; 0 sends no `stream` at all. */
  readonly partialImages: number;
  readonly onPartial?: (partial: PartialImage) => void;
}

/** How the answer came: `streamed` false when the relay ignored `stream` or it was resent without. */
export interface StreamedResult extends GenerationResult {
  readonly streamed: boolean;
  readonly partials: number;
}

/**
 * Base URLs that answered 400 to `stream`/`partial_images`: later generations there are sent without
 * streaming at once (for the life of the extension host).
 */
const nonStreamingBases = new Set<string>();

export function forgetNonStreamingBases(): void {
  nonStreamingBases.clear();
}

/** Previews delivered at most: a relay's 10,000 partials are not 10,000 decodes and file writes. */
const maxDeliveredPartials = 3;
/** One preview above this is not decoded (a real one is a fraction of the final image). */
const maxPartialBytes = 32 * 1024 * 1024;
/**
 * An event above this is skipped unread: the largest final image (3840x2160 PNG, ~25 MB) is ~34 MB
 * of base64. The byte budget still bounds the whole stream.
 */
const maxEventBytes = 64 * 1024 * 1024;
/**
 * A preview claiming more pixels than the largest size the API makes (3840x2160) is not shown: a few
 * KB of PNG can declare 60000x60000, and the webview would try to decode 14 GB of pixels (review #14).
 */
const maxPreviewPixels = 3840 * 2160;

/**
 * One image (n must be 1) with `stream: true` and `partial_images`, calling `onPartial` for each
 * preview as it arrives. The fallbacks relays need (issue #14):
 * - 400 whose message mentions stream/partial → resent once without streaming (generateImages, with its
 *   retries), and this base URL is remembered as non-streaming;
 * - 200 with JSON (the relay ignored `stream`) → read as a normal answer;
 * - the stream breaks or ends without `*.completed` after 200 → ImageApiError, never retried (the
 *   image was probably billed);
 * - the stream never closes after `*.completed` → reading stops at `completed`.
 * Failures before a 2xx status are retried as generateImages retries them.
 */
export async function generateImagesStreaming(
  request: GenerationRequest,
  options: ClientOptions,
  stream: StreamOptions,
  signal?: AbortSignal,
): Promise<StreamedResult> {
  const plain = async (): Promise<StreamedResult> => ({ ...(await generateImages(request, options, signal)), streamed: false, partials: 0 });
  const partialImages = Math.max(0, Math.min(3, Math.floor(stream.partialImages)));
  const redactor = redactorFor(options.apiKey);
  const context = createContext(options, signal, redactor, 'generations');
  if (request.n !== 1 || partialImages === 0 || nonStreamingBases.has(context.base.href)) return plain();
  try {
    const outcome = await streamWithRetries(context, request, partialImages, stream.onPartial);
    if (outcome === 'fallback') {
      nonStreamingBases.add(context.base.href);
      context.logger.warn(`Streaming is not supported by ${context.endpoint.host}: sending without previews (remembered for this base URL).`);
      return await plain();
    }
    return outcome;
  } catch (error) {
    throw error instanceof ImageApiError ? redactError(error, (text) => redactor.redact(text)) : error;
  }
}

async function streamWithRetries(
  context: Context,
  request: GenerationRequest,
  partialImages: number,
  onPartial: StreamOptions['onPartial'],
): Promise<StreamedResult | 'fallback'> {
  const body = JSON.stringify({ ...JSON.parse(buildRequestBody(request)), stream: true, partial_images: partialImages });
  const total = context.maxRetries + 1;
  const budget = new ByteBudget(context.maxResponseBytes);
  for (let attempt = 1; ; attempt++) {
    const result = await attemptStream(context, body, request, attempt, total, budget, onPartial);
    if (result.kind === 'done') return result.result;
    if (result.kind === 'fallback') return 'fallback';
    if (!result.retryable || attempt >= total) throw result.error;
    const wait = retryDelay(result.headers ?? {}, attempt - 1, context.random);
    context.logger.warn(`Retrying in ${formatDuration(wait)} after ${result.error.message} (attempt ${attempt + 1}/${total} next)`);
    try {
      await context.sleep(wait, context.signal);
    } catch (error) {
      if (context.signal?.aborted) throw cancelledError(attempt);
      throw error;
    }
    if (context.signal?.aborted) throw cancelledError(attempt);
  }
}

type AttemptResult =
  | { readonly kind: 'done'; readonly result: StreamedResult }
  | { readonly kind: 'fallback' }
  | { readonly kind: 'failed'; readonly error: ImageApiError; readonly retryable: boolean; readonly headers?: Record<string, unknown> };

/** A 400 that names streaming: the relay cannot stream (e.g. "Streaming must have non-zero partial images"). */
function rejectsStreaming(status: number, error: ImageApiError): boolean {
  return status === 400 && (/stream|partial/i.test(error.message) || /stream|partial/i.test(error.param ?? ''));
}

async function attemptStream(
  context: Context,
  body: string,
  request: GenerationRequest,
  attempt: number,
  total: number,
  budget: ByteBudget,
  onPartial: StreamOptions['onPartial'],
): Promise<AttemptResult> {
  const deadline = startDeadline(context.timeoutMs, context.signal);
  const shownUrl = displayUrl(context.endpoint);
  let partials = 0;
  // The same request, and the same billing rule (issue #11), as the plain path: see imagesRequest.ts.
  const exchange = sendImagesRequest(context, { body, contentType: 'application/json' }, 'text/event-stream, application/json', deadline);
  try {
    const responseBody = await exchange.answer;
    const { headers, requestId, answeredMs } = exchange;
    const status = exchange.status!;
    const line = `POST ${shownUrl} (stream) → ${status} in ${exchange.elapsedMs()} ms (${requestId ? `request id ${requestId}, ` : ''}attempt ${attempt}/${total})`;
    if (status < 200 || status >= 300) {
      context.logger.warn(line);
      const text = (await readBody(responseBody, Math.min(budget.remaining, 64 * 1024))).toString('utf8');
      const outcome = statusOutcome(context, status, headers, text, requestId, answeredMs);
      if (outcome.ok) throw new Error('unreachable');
      const error = outcome.toError(attempt);
      if (rejectsStreaming(status, error)) return { kind: 'fallback' };
      return { kind: 'failed', error, retryable: outcome.retryable, headers };
    }
    context.logger.info(line);
    const type = headerValue(headers, 'content-type') ?? '';
    if (!/text\/event-stream/i.test(type)) {
      // The relay ignored `stream`: a normal JSON answer.
      const bytes = await readBody(responseBody, budget.remaining, () => tooLarge(context, status, requestId));
      budget.spend(bytes.length);
      const outcome = successOutcome(context, status, bytes.toString('utf8'), requestId, 1);
      if (!outcome.ok) throw outcome.toError(attempt);
      const result = await toResult(context, request, outcome, attempt, deadline, budget);
      return { kind: 'done', result: { ...result, streamed: false, partials: 0 } };
    }
    const result = await readStream(context, responseBody, budget, status, requestId, attempt, (partial) => {
      partials++;
      onPartial?.(partial);
    });
    context.logger.info(`Stream finished in ${exchange.elapsedMs()} ms with ${partials} preview(s)`);
    return { kind: 'done', result: { ...result, streamed: true, partials } };
  } catch (error) {
    const { status, requestId } = exchange;
    if (context.signal?.aborted) throw cancelledError(attempt, requestId);
    const answered = status !== undefined && status >= 200 && status < 300;
    if (error instanceof ImageApiError) {
      context.logger.warn(`POST ${shownUrl} (stream) → ${status ?? 'failed'}: ${error.message} (attempt ${attempt}/${total})`);
      return { kind: 'failed', error, retryable: false };
    }
    const isTimeout = deadline.timedOut() || isUndiciTimeout(error);
    if (!answered) {
      // No 2xx yet: nothing sent → retried; sent but no answer, or an error status → that rule (never a
      // blind re-POST of a request that may have produced a billed image).
      const outcome = exchange.transportFailure(error);
      context.logger.warn(`POST ${shownUrl} (stream) → ${status ? `${status}, then ` : ''}${outcome.summary} after ${exchange.elapsedMs()} ms (attempt ${attempt}/${total})`);
      return { kind: 'failed', error: outcome.toError(attempt), retryable: outcome.retryable, headers: exchange.headers };
    }
    const reason = isTimeout ? `no complete answer within ${formatDuration(context.timeoutMs)}` : networkReason(error);
    context.logger.warn(`POST ${shownUrl} (stream) → ${status}, then ${reason} after ${exchange.elapsedMs()} ms (attempt ${attempt}/${total})`);
    const after = partials > 0 ? ` after ${partials} preview${partials === 1 ? '' : 's'}` : '';
    return {
      kind: 'failed',
      error: new ImageApiError(isTimeout ? 'timeout' : 'network', `The image stream broke${after} (${reason}); ${mayBeCharged}`, {
        requestId, attempts: attempt, status, cause: error, mayBeCharged: true,
      }),
      retryable: false,
    };
  } finally {
    deadline.dispose();
  }
}

/** Reads events until `*.completed` (then stops, closed or not), an error event, or the end. */
async function readStream(
  context: Context,
  body: Parameters<typeof discard>[0],
  budget: ByteBudget,
  status: number,
  requestId: string | undefined,
  attempts: number,
  deliver: (partial: PartialImage) => void,
): Promise<GenerationResult> {
  const bad = (kind: 'badResponse' | 'server' | 'moderation' | 'quota', message: string): ImageApiError =>
    new ImageApiError(kind, context.redact(message), { status, requestId, attempts });
  let completed: GenerationResult | undefined;
  let failure: ImageApiError | undefined;
  let delivered = 0;
  let skipped = 0;
  const parser = new EventStreamParser((event) => {
    const read = readImageEvent(event);
    switch (read.kind) {
      case 'partial': {
        if (delivered >= maxDeliveredPartials || read.b64.length > (maxPartialBytes * 4) / 3) {
          skipped++;
          return;
        }
        const bytes = decodeBase64Strict(read.b64);
        const format = bytes ? sniffImageFormat(bytes) : undefined;
        const dimensions = bytes && format ? readDimensions(bytes, format) : undefined;
        if (!bytes || !format || !dimensions || dimensions.width * dimensions.height > maxPreviewPixels) {
          skipped++;
          return;
        }
        deliver({ bytes, format, index: delivered++ });
        return;
      }
      case 'completed': {
        if (read.b64 === undefined) {
          failure = bad('badResponse', 'The image stream completed without an image (no b64_json), so nothing was saved.');
          return false;
        }
        const bytes = decodeBase64Strict(read.b64);
        if (!bytes) {
          failure = bad('badResponse', 'The final image in the stream is not valid base64, so nothing was saved.');
          return false;
        }
        const format = sniffImageFormat(bytes);
        if (!format) {
          failure = bad('badResponse', `The final image in the stream is not a PNG, JPEG or WebP image but ${describeNonImage(bytes)}, so nothing was saved.`);
          return false;
        }
        const created = read.json.created_at;
        completed = {
          images: [{ bytes, format }],
          outputFormat: format,
          ...usageOf(read.json.usage),
          ...(requestId !== undefined && { requestId }),
          ...(typeof created === 'number' && { created }),
        };
        // Whatever follows (more partials, a second image, a stream that never closes) is not read.
        return false;
      }
      case 'error': {
        const kind = read.code === 'moderation_blocked' ? 'moderation' : read.code === 'insufficient_quota' ? 'quota' : 'server';
        failure = bad(kind, `The image service reported an error in the stream: ${read.message}`);
        return false;
      }
      case 'ignored':
        return;
    }
  }, maxEventBytes);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (chunk.length > budget.remaining) throw tooLarge(context, status, requestId);
      budget.spend(chunk.length);
      parser.push(chunk);
      if (parser.isStopped) break;
    }
    if (!parser.isStopped) parser.end();
  } finally {
    discard(body);
  }
  skipped += parser.oversized;
  if (skipped > 0) context.logger.warn(`Ignored ${skipped} preview(s) in the stream (over ${maxDeliveredPartials}, too large, or not an image).`);
  if (failure) throw failure;
  if (!completed) {
    const after = delivered > 0 ? ` after ${delivered} preview${delivered === 1 ? '' : 's'}` : '';
    throw new ImageApiError('network', `The image stream ended${after} without the final image; ${mayBeCharged}`, { status, requestId, attempts });
  }
  return completed;
}
