import { request as undiciRequest } from './undici';
import type { Context, RequestPayload } from './client';
import type { Deadline } from './deadline';
import { isUndiciTimeout, transportOutcome } from './networkErrors';
import { headerValue, type ResponseBody } from './responseBody';
import type { FailedAttempt } from './responseErrors';
import { SendProgress } from './sendProgress';

/**
 * One POST to the images API and what is known about it, for the plain path (client.ts) and the
 * streaming one (streamClient.ts) alike: the same headers, dispatcher, timeouts, request id and answer
 * time, and the same billing rule for a failure (issue #11). The stream path once had its own copy of
 * this and, with it, its own (wrong) idea of what may be retried.
 */
export class ImagesExchange {
  /** When the attempt started (Date.now()). */
  readonly started = Date.now();
  /** The status line, once it arrived. */
  status: number | undefined;
  headers: Record<string, unknown> = {};
  /** `x-request-id` (or `request-id`), redacted: a server can put anything in a header, the key included. */
  requestId: string | undefined;
  /** From the request being sent in full to the status line. */
  answeredMs = 0;
  /** The body of the answer, once its status line arrived. */
  readonly answer: Promise<ResponseBody>;
  private readonly progress = new SendProgress();

  constructor(
    private readonly context: Context,
    payload: RequestPayload,
    accept: string,
    private readonly deadline: Deadline,
  ) {
    this.answer = this.send(payload, accept);
    this.answer.catch(() => undefined); // the caller awaits it; never an unhandled rejection meanwhile
  }

  /** Milliseconds since the attempt started. */
  elapsedMs(): number {
    return Date.now() - this.started;
  }

  /**
   * The outcome of a failure that is no ImageApiError (a socket error, a timeout, a proxy refusing),
   * by the billing rule with everything this exchange saw: how far the request got, the status line
   * and its timing. See networkErrors.ts transportOutcome.
   */
  transportFailure(error: unknown): FailedAttempt {
    const timedOut = this.deadline.timedOut() || isUndiciTimeout(error);
    return transportOutcome(this.context, {
      error,
      status: this.status,
      headers: this.headers,
      answeredMs: this.answeredMs,
      requestId: this.requestId,
      timedOut,
      nothingSent: this.progress.nothingSent,
    });
  }

  private async send(payload: RequestPayload, accept: string): Promise<ResponseBody> {
    const { context } = this;
    const response = await undiciRequest(context.endpoint, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${context.apiKey}`,
        'Content-Type': payload.contentType,
        Accept: accept,
        'User-Agent': context.userAgent,
      },
      body: payload.body,
      signal: this.deadline.signal,
      // How far the request got: it decides whether a failure may have been billed (issue #11).
      dispatcher: this.progress.dispatcher(context.dispatcher),
      // undici's own limits default to 5 minutes and would cut a slow high-quality generation short.
      headersTimeout: context.timeoutMs,
      bodyTimeout: context.timeoutMs,
    });
    this.status = response.statusCode;
    this.answeredMs = Date.now() - (this.progress.sentAt ?? this.started);
    this.headers = response.headers;
    const id = headerValue(this.headers, 'x-request-id') ?? headerValue(this.headers, 'request-id');
    this.requestId = id === undefined ? undefined : context.redact(id);
    return response.body;
  }
}

/** Sends `payload` to the context's endpoint (see {@link ImagesExchange}); await `.answer` for the body. */
export function sendImagesRequest(context: Context, payload: RequestPayload, accept: string, deadline: Deadline): ImagesExchange {
  return new ImagesExchange(context, payload, accept, deadline);
}
