import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent, DispatcherClass, getGlobalDispatcher, interceptors, Pool, ProxyAgent } from './undici';
import { attachProxyFailure } from './proxyErrors';
import { describeProxy, type ProxyDecision, type ProxySettings, ProxySettingsError, resolveProxy } from './proxyRules';

export { explainProxyError } from './proxyErrors';

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

/** How long a proxy may take to answer CONNECT. */
const connectAnswerTimeoutMs = 30_000;

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
          // undici gives the CONNECT no signal: a proxy that never answers it would hold the socket for
          // the default 5 minutes. A proxy answers CONNECT as soon as it reached the host.
          clientFactory: (origin: URL, options: object) => new Pool(origin, { ...options, headersTimeout: connectAnswerTimeoutMs }),
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
export class ProxyRouter extends DispatcherClass {
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

  /** Whether a request to `url` goes through a proxy. */
  proxies(url: string | URL): boolean {
    return resolveProxy(this.settings, url).kind === 'proxy';
  }

  /**
   * Connect options for a request to `url` that goes direct (the TLS context of extra CAs, or none),
   * or `undefined` when a proxy carries it. Image downloads use this to keep pinning their sockets to
   * the addresses they checked (issue #9): only a proxy may connect on its own.
   */
  directConnectOptions(url: string | URL): { readonly secureContext?: tls.SecureContext } | undefined {
    const decision = resolveProxy(this.settings, url);
    if (decision.kind !== 'direct') return undefined;
    const ca = trustedCertificates(this.settings);
    if (!ca) return {};
    const key = ca.join('\n');
    if (this.#direct?.key !== key) this.#direct = { key, context: tls.createSecureContext({ ca }) };
    return { secureContext: this.#direct.context };
  }

  #direct: { readonly key: string; readonly context: tls.SecureContext } | undefined;

  #route(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const decision = resolveProxy(this.settings, String(options.origin));
    let dispatcher: Dispatcher;
    try {
      dispatcher = proxyDispatcher(decision, this.settings) ?? getGlobalDispatcher();
    } catch (error) {
      throw attachProxyFailure(error, decision);
    }
    return dispatcher.dispatch(options, explaining(handler, decision, (options as { signal?: unknown }).signal));
  }
}

/**
 * Closes every cached dispatcher: in-flight requests finish first (settings changed), or with
 * `destroy` everything is cut at once (deactivate: nothing may outlive the extension).
 */
export async function closeProxyDispatchers(how: 'close' | 'destroy' = 'close'): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((dispatcher) => (how === 'destroy' ? dispatcher.destroy() : dispatcher.close()).catch(() => undefined)));
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

/**
 * The same handler, except that a failure gets its explanation attached (proxyErrors.ts). A JS Proxy
 * bound to the original, not a DecoratorHandler: undici 6's DecoratorHandler drops hooks it does not
 * know (onRequestSent), and the handler's own state must stay on the handler.
 */
function explaining(handler: Dispatcher.DispatchHandlers, decision: ProxyDecision, signal: unknown): Dispatcher.DispatchHandlers {
  // undici acts on an abort only once the request has a connection (onConnect). Through a proxy that
  // is slow to answer CONNECT that can take minutes, so a Cancel fails the request here and now; the
  // late onConnect then aborts it for good (undici's handler ignores a second error).
  let connected = false;
  const cancel = signal instanceof EventTarget && 'aborted' in signal ? (signal as AbortSignal) : undefined;
  const onAbort = (): void => {
    if (!connected) handler.onError?.(cancel?.reason instanceof Error ? cancel.reason : new Error('The request was aborted.'));
  };
  cancel?.addEventListener('abort', onAbort, { once: true });
  return new Proxy(handler, {
    get(target, property) {
      if (property === 'onError') {
        return (error: Error) => {
          cancel?.removeEventListener('abort', onAbort);
          return target.onError?.(attachProxyFailure(error, decision));
        };
      }
      if (property === 'onConnect') {
        return (...args: unknown[]) => {
          connected = true;
          cancel?.removeEventListener('abort', onAbort);
          return (target.onConnect as ((...all: unknown[]) => unknown) | undefined)?.apply(target, args);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
