import { STATUS_CODES } from 'node:http';
import { headerValue } from './responseBody';
import { formatDuration } from './units';

const maxRetryAfterMs = 60_000;
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
 * The wait before retry number `retry`: the larger of the normal backoff for that retry and the
 * server's Retry-After (or retry-after-ms) when that is at most 60 s. A hint can only lengthen the
 * wait, never shorten it: `Retry-After: 0`, `0.001` or `retry-after-ms: 1` taken literally made 11
 * requests in 54 ms with maxRetries 10 (issue #9, F5). A hint over 60 s is ignored (backoff).
 */
export function retryDelay(
  headers: Readonly<Record<string, unknown>> | undefined,
  retry: number,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const backoff = backoffDelay(retry, random);
  const asked = headers ? parseRetryAfter(headers, now) : undefined;
  return asked !== undefined && asked <= maxRetryAfterMs ? Math.max(asked, backoff) : backoff;
}

/**
 * A 5xx (or 408, 409, 429) that arrives later than this after the request was sent is not retried: 10 s. A gateway that
 * fails fast (overloaded, upstream refused, nothing listening) answers within a second or two; image
 * generation itself takes several seconds even for one small low-quality image, and a gpt-image-2 image
 * tens of seconds to minutes. So a 5xx within 10 s came before any image could have been made, while a
 * later one (a 502/504 after the upstream worked for a minute) may follow a generated, billed image
 * whose answer was lost. 30 s would be too late: a small image can be done, and billed, by then.
 */
export const defaultRetryServerErrorsWithinMs = 10_000;

/** Whether a failed attempt is sent again, and the rule that decided, for the log (issue #11). */
export interface RetryDecision {
  readonly retry: boolean;
  /** The rule in words, e.g. `503 Service Unavailable answered in 120 ms (nothing was generated)`. */
  readonly because: string;
  /** The attempt may have produced a billed image: its error says so and offers Try Again. */
  readonly mayBeCharged: boolean;
}

/**
 * The retry rule for an error status, in order: a final answer (400, 401, 403, 404, insufficient_quota,
 * moderation_blocked) never; any status later than `quickMs` after sending never (it may follow a
 * billed image, and no `x-should-retry: true` overrides that: a relay can pass the header on blindly);
 * then `x-should-retry: false|true` as the server says; then 408, 409, 429 and 5xx are retried.
 *
 * The window holds for 408, 409 and 429 too (issue #11 review): a rate limiter or lock answers at
 * once, before any work; the same status after a minute comes from a gateway that may have had the
 * upstream generate (and bill) an image first, so "nothing was generated" is only claimed when quick.
 */
export function statusDecision(
  status: number,
  code: string | undefined,
  shouldRetry: string | undefined,
  answeredMs: number,
  quickMs: number = defaultRetryServerErrorsWithinMs,
): RetryDecision {
  const name = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  const answered = `${name} answered in ${formatDuration(answeredMs)}`;
  const no = (because: string, mayBeCharged = false): RetryDecision => ({ retry: false, because, mayBeCharged });
  const yes = (because: string): RetryDecision => ({ retry: true, because, mayBeCharged: false });
  if (code === 'insufficient_quota') return no(`${status} insufficient_quota (the account has no quota left; repeating cannot fix it)`);
  if (code === 'moderation_blocked') return no(`${status} moderation_blocked (the safety system refused the prompt)`);
  if (status === 400 || status === 401 || status === 403 || status === 404) return no(`${name} (repeating cannot fix it)`);
  const retriedStatus = status === 408 || status === 409 || status === 429 || status >= 500;
  if ((retriedStatus || shouldRetry === 'true') && answeredMs > quickMs) {
    return no(`${name} answered after ${formatDuration(answeredMs)}, later than ${formatDuration(quickMs)} (an image may have been generated and charged)`, true);
  }
  if (shouldRetry === 'false') return no(`the server sent x-should-retry: false with ${answered}`);
  if (shouldRetry === 'true') return yes(`the server sent x-should-retry: true with ${answered} (nothing was generated)`);
  if (retriedStatus) return yes(`${answered} (nothing was generated)`);
  return no(`${name} (not a status that is retried)`);
}

/**
 * Whether a failed status is worth another attempt when it came quickly: 400/401/403/404 and
 * insufficient_quota never are (repeating cannot fix them); otherwise an explicit `x-should-retry`
 * wins, then the status decides. See statusDecision for the full rule with the answer's timing.
 */
export function isRetryableStatus(status: number, code?: string, shouldRetry?: string): boolean {
  return statusDecision(status, code, shouldRetry, 0).retry;
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
