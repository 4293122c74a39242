import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { Agent, Dispatcher, getGlobalDispatcher, interceptors, ProxyAgent } from 'undici';
import { describeProxy, type ProxyDecision, type ProxySettings, ProxySettingsError, resolveProxy } from './proxyRules';

/* The undici dispatchers for a decision of proxyRules.ts; its header records why undici gets its own. */

/**
 * The CA list to pass to TLS, or `undefined` to leave Node's default store alone (which already holds
 * NODE_EXTRA_CA_CERTS and lets VS Code's optional tls.connect patch add the OS store). When there is
 * something to add, the result is Node's default store plus the additions, so nothing is dropped.
 */
export function trustedCertificates(settings: ProxySettings): string[] | undefined {
  const additions = pemList(settings.extraCa);
  if (settings.systemCertificates) additions.push(...nodeCertificates('system'));
  if (additions.length === 0) return undefined;
  const defaults = nodeCertificates('default');
  if (defaults.length === 0) {
    // Node < 22.15: tls.rootCertificates is only the bundled Mozilla list, so add NODE_EXTRA_CA_CERTS back.
    defaults.push(...tls.rootCertificates, ...pemList(readOptional(settings.env.NODE_EXTRA_CA_CERTS)));
  }
  return [...new Set([...defaults, ...additions].map((pem) => pem.trim()))];
}

/** Cached dispatchers: settings rarely change, and each holds connection pools worth reusing. */
const cache = new Map<string, Dispatcher>();
const maxCached = 8;

/**
 * The undici dispatcher for `decision`: a ProxyAgent (CONNECT for https targets, absolute-URI requests
 * for http ones, Proxy-Authorization on both), an Agent with extra certificates for direct requests, or
 * `undefined` when undici's global dispatcher will do. Cached by everything that shapes it; at most 8
 * are kept and evicted ones are closed gracefully. Throws {@link ProxySettingsError} for `invalid`.
 */
export function proxyDispatcher(decision: ProxyDecision, settings: ProxySettings): Dispatcher | undefined {
  if (decision.kind === 'invalid') throw new ProxySettingsError(describeProxy(decision));
  const hasTlsAdditions = pemList(settings.extraCa).length > 0 || settings.systemCertificates === true;
  if (decision.kind === 'direct' && !hasTlsAdditions) return undefined;

  const key = createHash('sha256')
    .update(JSON.stringify([decision.kind, decision.kind === 'proxy' ? [decision.proxyUrl, decision.authorization ?? ''] : [],
      settings.strictSSL, settings.systemCertificates === true, settings.env.NODE_EXTRA_CA_CERTS ?? '']))
    .update(pemList(settings.extraCa).join('\n'))
    .digest('hex');
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached); // most recently used last
    return cached;
  }

  const ca = trustedCertificates(settings);
  // One secure context for all connections: parsing a few hundred PEMs per TLS handshake is measurable.
  const context = ca ? { secureContext: tls.createSecureContext({ ca }) } : {};
  const dispatcher =
    decision.kind === 'direct'
      ? new Agent({ connect: context })
      : new ProxyAgent({
          uri: decision.proxyUrl,
          token: decision.authorization,
          // Plain-http targets go as absolute-URI requests, as VS Code's http-proxy-agent sends them: many
          // proxies refuse CONNECT to ports other than 443.
          proxyTunnel: false,
          requestTls: { ...context, rejectUnauthorized: settings.strictSSL },
          proxyTls: { ...context, rejectUnauthorized: settings.strictSSL },
        });
  cache.set(key, dispatcher);
  for (const [oldKey, old] of cache) {
    if (cache.size <= maxCached) break;
    cache.delete(oldKey);
    old.close().catch(() => undefined);
  }
  return dispatcher;
}

/**
 * One dispatcher for every request of a client: routes each origin (API, image CDN, each redirect hop)
 * by its own decision. Closing it does nothing; the shared dispatchers close with {@link closeProxyDispatchers}.
 */
export class ProxyRouter extends Dispatcher {
  // Redirects are followed here, not inside the chosen agent, so each hop gets its own decision.
  readonly #dispatch: Dispatcher['dispatch'] = interceptors.redirect()((options, handler) => this.#route(options, handler));

  constructor(private readonly settings: ProxySettings) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    return this.#dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const callback = typeof first === 'function' ? first : second;
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }

  #route(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const decision = resolveProxy(this.settings, String(options.origin));
    return (proxyDispatcher(decision, this.settings) ?? getGlobalDispatcher()).dispatch(options, handler);
  }
}

/** TLS verification failures worth a sentence of their own (OpenSSL codes as Node reports them). */
const certificateCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A clear sentence for the failures proxies and TLS inspection cause, or `undefined` for anything
 * else. `certificate` and `proxyAuth` are not worth retrying; `proxySettings` is a
 * {@link ProxySettingsError}. Never includes credentials: it only uses the decision's sanitized URL.
 */
export function explainProxyError(
  error: unknown,
  decision: ProxyDecision,
): { readonly kind: 'certificate' | 'proxyAuth' | 'proxySettings'; readonly message: string } | undefined {
  if (error instanceof ProxySettingsError) return { kind: 'proxySettings', message: `${error.message}.` };
  const proxyName = decision.kind === 'proxy' ? `The proxy ${decision.proxyUrl}` : 'The proxy';
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && certificateCodes.has(code)) {
      return {
        kind: 'certificate',
        message:
          `The server's certificate is not trusted (${code}). If a proxy or security software inspects HTTPS, ` +
          'trust its CA: add it to the OS certificate store (http.systemCertificates) or to the file named by ' +
          'NODE_EXTRA_CA_CERTS, or set http.proxyStrictSSL to false for proxied requests.',
      };
    }
    // undici 6: "Proxy response (407) !== 200 when HTTP Tunneling" (CONNECT) or "Proxy Authentication Required (407)".
    if (typeof message === 'string' && /\b407\b/.test(message) && /proxy/i.test(message)) {
      return {
        kind: 'proxyAuth',
        message: `${proxyName} asks for authentication (407): put the credentials in http.proxy (http://user:password@host:port) or set http.proxyAuthorization.`,
      };
    }
    current = cause;
  }
  return undefined;
}

/** Closes every cached dispatcher (deactivate, tests); in-flight requests finish first. */
export async function closeProxyDispatchers(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((dispatcher) => dispatcher.close().catch(() => undefined)));
}

function pemList(value: ProxySettings['extraCa']): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  // A bundle file holds many certificates; split so duplicates with the default store can be dropped.
  return items.flatMap((item: string | Buffer) => String(item).match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []);
}

function nodeCertificates(which: 'default' | 'system'): string[] {
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  try {
    return get ? [...get(which)] : [];
  } catch {
    return [];
  }
}

function readOptional(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS
  }
}
