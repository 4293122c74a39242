/**
 * Every way a generation can fail, as one error type whose `kind` a UI maps to a message and an action.
 * Messages never contain the API key: the client redacts it before constructing any of these.
 */
export type ImageErrorKind =
  | 'validation' // bad input caught before any network call
  | 'auth' // 401: missing or wrong key → Set API Key
  | 'permission' // 403: region not allowed, token group disabled
  | 'quota' // 429 insufficient_quota: billing, never retried
  | 'rateLimited' // 429 still failing after retries
  | 'moderation' // 400 moderation_blocked: the safety system refused the prompt
  | 'invalidRequest' // 400 with the server's message and param → Open Settings
  | 'notFound' // 404: base URL or model wrong → Open Settings
  | 'server' // ≥500 still failing after retries
  | 'network' // connection refused/reset, DNS, TLS
  | 'timeout' // an attempt took longer than the timeout
  | 'cancelled' // the user cancelled: not an error toast
  | 'badResponse' // HTML, plain text, truncated JSON, no images, invalid base64, too large
  | 'io'; // saving failed (disk full, permission, folder outside the workspace)

export interface ImageApiErrorDetails {
  readonly status?: number;
  readonly requestId?: string;
  /** The API's `error.code`, e.g. `invalid_api_key`, `moderation_blocked`. */
  readonly code?: string;
  /** The request field the server or validator blamed, e.g. `size`. */
  readonly param?: string;
  /** A short excerpt of an unexpected body (first line, ≤ 200 chars). */
  readonly excerpt?: string;
  /** How many attempts were made before giving up. */
  readonly attempts?: number;
  /**
   * The request reached the server and the failure came after (a reset, a timeout, a late 5xx, a broken
   * 2xx answer): an image may have been generated and billed, so it was not retried automatically and
   * the UI offers Try Again instead (issue #11).
   */
  readonly mayBeCharged?: boolean;
  /** A gateway's 403 "Token Group … Has Been Disabled": the key is disabled or its quota used up. */
  readonly keyDisabled?: boolean;
  readonly cause?: unknown;
}

/**
 * dist/extension.js and the lazily loaded dist/engine.js each bundle their own copy of this class, so
 * `instanceof` checks a brand in the global symbol registry instead of the prototype chain: an error
 * thrown by the engine is still an ImageApiError to describeError() and the Studio.
 */
const brand = Symbol.for('gpt-image-studio.ImageApiError');

export class ImageApiError extends Error {
  static override [Symbol.hasInstance](value: unknown): value is ImageApiError {
    return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }

  override readonly name = 'ImageApiError';
  readonly status?: number;
  readonly requestId?: string;
  readonly code?: string;
  readonly param?: string;
  readonly excerpt?: string;
  readonly attempts?: number;
  readonly mayBeCharged?: boolean;
  readonly keyDisabled?: boolean;

  constructor(
    readonly kind: ImageErrorKind,
    message: string,
    details: ImageApiErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    Object.defineProperty(this, brand, { value: true });
    this.status = details.status;
    this.requestId = details.requestId;
    this.code = details.code;
    this.param = details.param;
    this.excerpt = details.excerpt;
    this.attempts = details.attempts;
    this.mayBeCharged = details.mayBeCharged;
    this.keyDisabled = details.keyDisabled;
  }
}

/** The same error with some details replaced (the message too, with `message`); the cause is kept. */
export function withDetails(error: ImageApiError, changes: ImageApiErrorDetails & { readonly message?: string }): ImageApiError {
  const { message = error.message, ...details } = changes;
  return new ImageApiError(error.kind, message, {
    status: error.status,
    requestId: error.requestId,
    code: error.code,
    param: error.param,
    excerpt: error.excerpt,
    attempts: error.attempts,
    mayBeCharged: error.mayBeCharged,
    keyDisabled: error.keyDisabled,
    cause: error.cause,
    ...details,
  });
}

/**
 * The error with `redact` applied to every text a server can have supplied: message, request id, code,
 * param and excerpt (a key echoed in `error.param` or `x-request-id` reaches the Studio's alert and the
 * notification too). The same instance when nothing changes; a new one otherwise, so no stack trace
 * keeps the original message.
 */
export function redactError(error: ImageApiError, redact: (text: string) => string): ImageApiError {
  const clean = (text: string | undefined): string | undefined => (text === undefined ? undefined : redact(text));
  const changes = {
    message: redact(error.message),
    requestId: clean(error.requestId),
    code: clean(error.code),
    param: clean(error.param),
    excerpt: clean(error.excerpt),
  };
  const same =
    changes.message === error.message &&
    changes.requestId === error.requestId &&
    changes.code === error.code &&
    changes.param === error.param &&
    changes.excerpt === error.excerpt;
  return same ? error : withDetails(error, changes);
}

/**
 * The string `code` of a Node or undici error (`ENOENT`, `UND_ERR_SOCKET`…), or of its `cause` when the
 * error wraps another one, as undici's fetch-style errors do. Undefined when there is none.
 */
export function errorCode(error: unknown): string | undefined {
  return ownCode(error) ?? (isRecord(error) ? ownCode(error.cause) : undefined);
}

function ownCode(value: unknown): string | undefined {
  return isRecord(value) && typeof value.code === 'string' ? value.code : undefined;
}

function isRecord(value: unknown): value is { readonly code?: unknown; readonly cause?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
