import { errorCode } from '../errors';

const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** undici's own headers or body timeout fired. */
export function isUndiciTimeout(error: unknown): boolean {
  return timeoutCodes.has(errorCode(error) ?? '');
}

/** Why a connection failed, in words, with the code: "the connection was refused (ECONNREFUSED)". */
export function networkReason(error: unknown): string {
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
