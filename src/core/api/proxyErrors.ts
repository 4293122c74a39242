import { type ProxyDecision, ProxySettingsError } from './proxyRules';

/*
 * Proxy and certificate failures in words a user can act on (issue #11). No undici here: the host's
 * error messages (extension bundle) read the explanation the engine bundle's ProxyRouter attached.
 */

export type ProxyFailureKind = 'certificate' | 'proxyAuth' | 'proxySettings' | 'proxyUnreachable' | 'proxyRefused';

export interface ProxyFailure {
  readonly kind: ProxyFailureKind;
  /** One or two sentences with the fix; names the proxy by scheme, host and port only. */
  readonly message: string;
}

/** TLS verification failures worth a sentence of their own (OpenSSL codes as Node reports them). */
const certificateCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_REJECTED',
]);

/** Socket errors that, with a proxy in use, can only come from reaching the proxy itself. */
const unreachableCodes = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * A clear sentence for the failures proxies and TLS inspection cause, or `undefined` for anything
 * else. `certificate` and `proxyAuth` are not worth retrying; `proxySettings` is a
 * {@link ProxySettingsError}. Never includes credentials: it only uses the decision's sanitized URL.
 */
export function explainProxyError(error: unknown, decision: ProxyDecision): ProxyFailure | undefined {
  if (error instanceof ProxySettingsError || codeOf(error) === 'ERR_PROXY_SETTINGS') {
    return { kind: 'proxySettings', message: `${messageOf(error)}. Fix http.proxy (or HTTPS_PROXY) and try again.` };
  }
  const proxied = decision.kind === 'proxy';
  const proxyName = proxied ? `The proxy ${decision.proxyUrl} (from ${decision.source})` : 'The proxy';
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && certificateCodes.has(code)) {
      return {
        kind: 'certificate',
        message:
          `The server's certificate is not trusted (${code}). If a proxy or security software inspects HTTPS, ` +
          'trust its CA: add it to the OS certificate store (used while http.systemCertificates is on) or to a PEM file ' +
          'named by the NODE_EXTRA_CA_CERTS environment variable, or set http.proxyStrictSSL to false for proxied requests.',
      };
    }
    // undici 6: "Proxy response (407) !== 200 when HTTP Tunneling" (CONNECT), or a plain 407 answer.
    const status = typeof message === 'string' ? /Proxy response \((\d{3})\)|Proxy Authentication Required \((\d{3})\)/i.exec(message) : null;
    const statusCode = status ? status[1] ?? status[2] : undefined;
    if (statusCode === '407') {
      const sent = proxied && decision.authorization !== undefined;
      return {
        kind: 'proxyAuth',
        message: sent
          ? `${proxyName} rejected the credentials (407): check the user name and password in http.proxy (http://user:password@host:port) or the value of http.proxyAuthorization.`
          : `${proxyName} asks for a user name and password (407): put them in http.proxy (http://user:password@host:port) or set http.proxyAuthorization.`,
      };
    }
    if (statusCode !== undefined) {
      return {
        kind: 'proxyRefused',
        message: `${proxyName} refused to open a connection to the image service (${statusCode}). Ask whoever runs the proxy to allow the host, or add it to http.noProxy if it is reachable without the proxy.`,
      };
    }
    if (proxied && typeof code === 'string' && unreachableCodes.has(code)) {
      return {
        kind: 'proxyUnreachable',
        message: `${proxyName} could not be reached (${code}). Check the proxy address in http.proxy or the proxy environment variables, or set http.proxySupport to "off" if you need no proxy.`,
      };
    }
    current = cause;
  }
  return undefined;
}

/** Where the ProxyRouter puts its explanation on a failed request's error (see {@link attachProxyFailure}). */
const failureKey = 'gptImageProxyFailure';

/**
 * Attaches the explanation (if any) to `error` itself, keeping its code, message and cause, so the
 * client's retry rules and log lines see exactly the error undici threw. Returns `error`.
 */
export function attachProxyFailure<T>(error: T, decision: ProxyDecision): T {
  if (typeof error !== 'object' || error === null || failureKey in error) return error;
  const failure = explainProxyError(error, decision);
  if (failure) Object.defineProperty(error, failureKey, { value: failure, enumerable: false, configurable: true });
  return error;
}

/** The explanation attached somewhere on `error`'s cause chain (an ImageApiError's cause), if any. */
export function proxyFailureOf(error: unknown): ProxyFailure | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const failure = (current as { [failureKey]?: unknown })[failureKey];
    if (isFailure(failure)) return failure;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isFailure(value: unknown): value is ProxyFailure {
  return typeof value === 'object' && value !== null && typeof (value as ProxyFailure).message === 'string' && typeof (value as ProxyFailure).kind === 'string';
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}
