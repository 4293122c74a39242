import { ImageApiError, errorCode } from '../errors';
import { plural } from '../../shared/labels';
import type { Context } from './client';
import type { FailedAttempt } from './responseErrors';
import { proxyFailureOf, type ProxyFailureKind } from './proxyErrors';
import { mayBeCharged } from './responseErrors';
import { headerValue } from './responseBody';
import { type RetryDecision, statusDecision } from './retry';
import { formatDuration } from './units';

const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Proxy failures that are final: the same request fails the same way (see transportOutcome). */
const finalProxyFailures: ReadonlySet<ProxyFailureKind> = new Set(['proxyAuth', 'proxyRefused', 'proxySettings', 'certificate']);

/** undici's own headers or body timeout fired. */
export function isUndiciTimeout(error: unknown): boolean {
  return timeoutCodes.has(errorCode(error) ?? '');
}

/** A certificate the TLS handshake refused: repeating the request cannot fix it. */
export function isCertificateError(error: unknown): boolean {
  return /^(CERT_|ERR_TLS_CERT|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|HOSTNAME_MISMATCH)/.test(errorCode(error) ?? '');
}

/** Why a connection failed, in words, with the code: "the connection was refused (ECONNREFUSED)". */
export function networkReason(error: unknown): string {
  const code = errorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (ECONNREFUSED)';
    case 'ECONNRESET':
      return 'the connection was reset (ECONNRESET)';
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

/** What is known about an attempt that failed without an HTTP answer to read (see SendProgress). */
export interface TransportFailure {
  readonly error: unknown;
  /** The status line and headers, when they arrived before the connection broke or the time ran out. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, unknown>>;
  /** From the request being sent to the status line. */
  readonly answeredMs: number;
  /** undici reported the failure before writing any byte of the request. */
  readonly nothingSent: boolean;
  /** The attempt's deadline or one of undici's own timeouts fired. */
  readonly timedOut: boolean;
  readonly requestId?: string;
}

/**
 * The outcome of an attempt that broke at the transport level, by the billing rule of issue #11: only
 * what cannot have been billed is retried. Nothing sent (connect refused, DNS, TLS, connect timeout) →
 * retried. An error status that arrived first → that status's rule. A 2xx, or no answer at all after
 * the request went out (timeout, reset) → not retried: it may have produced a billed image.
 */
export function transportOutcome(context: Context, failure: TransportFailure): FailedAttempt {
  const { error, status, requestId, timedOut } = failure;
  const host = context.endpoint.host;
  const within = formatDuration(context.timeoutMs);
  const reason = !timedOut
    ? networkReason(error)
    : failure.nothingSent
      ? `connecting did not finish within ${within}`
      : `no complete answer within ${within}`;
  const details = (attempts: number, charged: boolean) => ({ requestId, attempts, status, cause: error, mayBeCharged: charged });
  let decision: RetryDecision;
  let message: (attempts: number) => string;
  const proxy = proxyFailureOf(error);
  if (proxy && finalProxyFailures.has(proxy.kind) && (failure.nothingSent || proxy.kind === 'proxySettings')) {
    // Issue #11 review: a proxy that refused the credentials (407) or the tunnel (403, 502), or a proxy
    // setting that cannot be used, fails the same way every time; repeating a 407 with the same
    // credentials can lock a directory account. The request never left for the API (the ProxyRouter
    // throws a ProxySettingsError before any agent sees the request), so nothing was charged.
    decision = { retry: false, because: `${proxy.message.replace(/\.$/, '')} (${proxy.kind}: repeating cannot fix it; nothing was sent to the image service)`, mayBeCharged: false };
    message = () => proxy.message;
  } else if (failure.nothingSent) {
    decision = isCertificateError(error)
      ? { retry: false, because: `${reason} while connecting (a certificate problem does not go away by repeating)`, mayBeCharged: false }
      : { retry: true, because: `${reason} before the request was sent (nothing was generated)`, mayBeCharged: false };
    message = (attempts) => `Could not connect to ${host}: ${reason} (${plural(attempts, 'attempt')}).`;
  } else if (status !== undefined && status >= 200 && status < 300) {
    const broke = timedOut ? `the rest of the answer did not arrive within ${within}` : reason;
    // A 2xx status line means the server accepted the generation: it may be done and billed, so a body
    // that then stalls or breaks off is reported, never POSTed again (issue #9, F4).
    decision = { retry: false, because: `the server answered ${status}, then ${broke} (the images may have been charged)`, mayBeCharged: true };
    message = () =>
      timedOut
        ? `The image service answered ${status} but did not send the whole response within ${within}; ${mayBeCharged}`
        : `The connection broke after the server answered ${status} (${reason}); ${mayBeCharged}`;
  } else if (status !== undefined) {
    // An error status came first: its own rule decides; its body breaking off generated nothing more.
    const shouldRetry = headerValue(failure.headers ?? {}, 'x-should-retry')?.trim().toLowerCase();
    const rule = statusDecision(status, undefined, shouldRetry, failure.answeredMs, context.retryServerErrorsWithinMs);
    decision = { ...rule, because: `${rule.because}, then ${timedOut ? `the rest of the answer did not arrive within ${within}` : reason}` };
    message = (attempts) =>
      `The server answered ${status}, then ${timedOut ? `did not send the rest of its answer within ${within}` : reason}` +
      (rule.mayBeCharged ? `; ${mayBeCharged}` : ` (${plural(attempts, 'attempt')}).`);
  } else {
    decision = { retry: false, because: `${reason} after the request was sent (it may have been charged)`, mayBeCharged: true };
    message = () =>
      timedOut
        ? `The image service did not answer within ${within} after the request was sent; ${mayBeCharged}`
        : `The connection to ${host} broke after the request was sent, before any answer (${reason}); ${mayBeCharged}`;
  }
  return {
    ok: false,
    retryable: decision.retry,
    because: decision.because,
    summary: reason,
    toError: (attempts) => new ImageApiError(timedOut ? 'timeout' : 'network', message(attempts), details(attempts, decision.mayBeCharged)),
  };
}
