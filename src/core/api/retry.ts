import { headerValue } from './responseBody';

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
