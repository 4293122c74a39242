import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { Agent, request as undiciRequest } from './undici';
import { AddressGuard, InternalAddressError, internalRange, systemLookup, type Lookup, type RangeOf } from './addressPolicy';
import type { Deadline } from './deadline';
import { ProxyRouter } from './proxy';
import { ImageApiError } from '../errors';
import { isUndiciTimeout, networkReason } from './networkErrors';
import { discard, headerValue, readBody, type ByteBudget } from './responseBody';
import type { Logger } from '../types';
import { formatBytes, formatDuration } from './units';

/** What the downloads of one answer share with the request that produced it. */
export interface DownloadSettings {
  /** The base URL: its origin gets the key; its host decides whether internal addresses are allowed. */
  readonly base: URL;
  readonly apiKey: string;
  readonly userAgent: string;
  /** The caller's dispatcher (a proxy, a pool); without one the downloads pin their own connections. */
  readonly dispatcher?: Dispatcher;
  readonly logger: Logger;
  readonly redact: (text: string) => string;
  readonly lookup?: Lookup;
  readonly rangeOf?: RangeOf;
  /** The caller's signal: aborting it is a cancellation, not a timeout. */
  readonly signal?: AbortSignal;
  readonly requestId?: string;
  readonly attempts: number;
}

/** Redirects followed per image: presigned CDN links redirect once or twice. */
const maxRedirects = 3;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const shownUrlLength = 200;

/**
 * Fetches the images a relay returned as URLs (issue #9, parts 2 and 4). Not retried: the generation
 * itself succeeded, and a second POST would be billed again. Rules, checked on every redirect hop:
 * - only https, or the API's own origin (a local relay on http://127.0.0.1 keeps working);
 * - the key goes only to the API's own origin;
 * - no loopback, private, link-local, CGNAT or ULA address, judged after DNS. The one exception is
 *   the base URL's own host (a relay on this machine or the LAN): its own addresses (as a literal or
 *   resolved) stay allowed, any port, never a link-local one (169.254.169.254 is the cloud metadata
 *   service); every other internal address stays refused. The socket connects to exactly the
 *   addresses checked. With a caller's dispatcher (a proxy) the names are checked, but the dispatcher
 *   connects on its own;
 * - every DNS lookup is raced against the attempt's deadline and the caller's signal;
 * - everything read counts against the answer's byte budget and the attempt's deadline.
 */
export class ImageDownloads {
  private readonly guard: AddressGuard;
  private readonly lookup: Lookup;
  private readonly rangeOf: RangeOf;
  private ownAddresses: Promise<ReadonlySet<string>> | undefined;
  private pinned: InstanceType<typeof Agent> | undefined;

  constructor(
    private readonly settings: DownloadSettings,
    private readonly deadline: Deadline,
    private readonly budget: ByteBudget,
  ) {
    const lookup = settings.lookup ?? systemLookup;
    // A resolver that never answers must not outlive the attempt or a Cancel.
    this.lookup = (hostname) => untilAborted(lookup(hostname), deadline.signal);
    this.rangeOf = settings.rangeOf ?? internalRange;
    this.guard = new AddressGuard(this.lookup, (address) => this.ownRange(address));
  }

  /** The image at `rawUrl` (absolute, or relative to the base URL); `label` is e.g. "image 2 of 3". */
  async fetch(rawUrl: string, label: string): Promise<Buffer> {
    const { settings, deadline } = this;
    const bad = (message: string, status?: number): ImageApiError =>
      new ImageApiError('badResponse', message, { status, requestId: settings.requestId, attempts: settings.attempts });
    const baseHref = settings.base.href.endsWith('/') ? settings.base.href : `${settings.base.href}/`;
    let url: URL;
    try {
      url = new URL(rawUrl, baseHref);
    } catch {
      throw bad(`The URL of ${label} is not valid: "${this.shown(rawUrl)}".`);
    }
    for (let hop = 0; ; hop++) {
      const hopNote = hop > 0 ? `, redirect ${hop}` : '';
      const sameOrigin = url.origin === settings.base.origin;
      const headers: Record<string, string> = { Accept: 'image/*', 'User-Agent': settings.userAgent };
      if (sameOrigin) headers.Authorization = `Bearer ${settings.apiKey}`;
      const started = Date.now();
      try {
        await this.admit(url, label, bad);
        const response = await undiciRequest(url, {
          method: 'GET',
          headers,
          signal: deadline.signal,
          dispatcher: this.dispatcher(url),
          headersTimeout: deadline.remainingMs(),
          bodyTimeout: deadline.remainingMs(),
          // Followed below, so that every hop is checked and the key stays with the API's origin.
          maxRedirections: 0,
        });
        const status = response.statusCode;
        settings.logger.info(`GET ${displayUrl(url)} → ${status} in ${Date.now() - started} ms (${label}${hopNote})`);
        const location = headerValue(response.headers, 'location');
        if (redirectStatuses.has(status) && location !== undefined) {
          discard(response.body);
          if (hop >= maxRedirects) throw bad(`Downloading ${label} was redirected more than ${maxRedirects} times.`, status);
          try {
            url = new URL(location, url);
          } catch {
            throw bad(`Downloading ${label} was redirected to an invalid URL: "${this.shown(location)}".`, status);
          }
          continue;
        }
        if (status < 200 || status >= 300) {
          discard(response.body);
          throw bad(`Downloading ${label} from ${url.host} failed with status ${status}.`, status);
        }
        const declared = Number(headerValue(response.headers, 'content-length'));
        const limit = this.budget.remaining;
        if (declared > limit) {
          discard(response.body);
          throw this.tooLarge(status);
        }
        const bytes = await readBody(response.body, limit, () => this.tooLarge(status), declared);
        this.budget.spend(bytes.length);
        if (bytes.length === 0) throw bad(`Downloading ${label} from ${url.host} returned an empty file.`, status);
        return bytes;
      } catch (error) {
        throw this.failure(error, url, label, bad);
      }
    }
  }

  /** Closes the pinned connections; the bodies are all read or discarded by now. */
  close(): void {
    this.pinned?.destroy().catch(() => undefined);
    this.pinned = undefined;
  }

  /** Refuses a hop before anything is sent: the scheme, then (unless relaxed) every address of the host. */
  private async admit(url: URL, label: string, bad: (message: string) => ImageApiError): Promise<void> {
    const { base } = this.settings;
    if (url.origin !== base.origin && url.protocol !== 'https:') {
      throw bad(
        `The URL of ${label} (${this.shown(`${url.protocol}//${url.host}${url.pathname}`)}) is not https and not on the API's own address ${base.origin}; it was not downloaded.`,
      );
    }
    this.own = await this.ownHost();
    try {
      await this.guard.check(url.hostname);
    } catch (error) {
      if (error instanceof InternalAddressError) throw this.internal(error, label, bad);
      // Behind a proxy this machine often cannot resolve outside names at all; the proxy does. Names
      // that do resolve here are still checked (an intranet name maps to a private address: refused).
      if (this.proxied(url) && isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 && unresolvable(error)) return;
      throw error;
    }
  }

  /** The base host's addresses once known (see {@link ownHost}); the guard's ranges consult it. */
  private own: ReadonlySet<string> = new Set();

  /**
   * The addresses of the base URL's own host (the literal, or what it resolves to), minus link-local
   * ones: an image on one of them is allowed even if it is internal (a relay on this machine or the
   * LAN serving its own files). Resolved once per answer, by the same lookup as the images.
   */
  private ownHost(): Promise<ReadonlySet<string>> {
    this.ownAddresses ??= (async () => {
      const host = this.settings.base.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      let addresses: string[];
      if (isIP(host)) addresses = [host];
      else {
        try {
          addresses = (await this.lookup(host)).map(({ address }) => address);
        } catch (error) {
          if (this.deadline.signal.aborted) throw error;
          addresses = [];
        }
      }
      return new Set(addresses.map(normalizeIp).filter((address) => !isLinkLocal(address, this.rangeOf)));
    })();
    return this.ownAddresses;
  }

  /** The guard's ranges: the base host's own addresses count as public, everything else as it is. */
  private ownRange(address: string): string | undefined {
    const range = this.rangeOf(address);
    return range !== undefined && range !== 'link-local' && this.own.has(normalizeIp(address)) ? undefined : range;
  }

  /** Whether the caller's dispatcher sends `url` through a proxy (issue #11). */
  private proxied(url: URL): boolean {
    const caller = this.settings.dispatcher;
    return caller instanceof ProxyRouter && caller.proxies(url);
  }

  /**
   * The caller's dispatcher when it proxies `url`; else an Agent whose sockets use the checked addresses
   * (always: issue #9, F3), with the ProxyRouter's trusted CAs for direct hops (issue #11).
   */
  private dispatcher(url: URL): Dispatcher {
    const caller = this.settings.dispatcher;
    const direct = caller instanceof ProxyRouter ? caller.directConnectOptions(url) : undefined;
    if (caller && !direct) return caller;
    this.pinned ??= new Agent({ connect: { ...direct, lookup: this.guard.connectLookup } });
    return this.pinned;
  }

  private failure(error: unknown, url: URL, label: string, bad: (message: string) => ImageApiError): ImageApiError {
    const { settings, deadline } = this;
    if (settings.signal?.aborted) {
      return new ImageApiError('cancelled', 'Generation cancelled.', { attempts: settings.attempts, requestId: settings.requestId });
    }
    if (error instanceof ImageApiError) return error;
    const internal = findInternal(error);
    if (internal) return this.internal(internal, label, bad);
    if (deadline.timedOut() || isUndiciTimeout(error)) {
      return new ImageApiError(
        'timeout',
        `Downloading ${label} did not finish within ${formatDuration(deadline.timeoutMs)}, the time allowed for the whole attempt.`,
        { requestId: settings.requestId, attempts: settings.attempts, cause: error },
      );
    }
    return new ImageApiError('network', `Could not download ${label} from ${url.host}: ${networkReason(error)}.`, {
      requestId: settings.requestId,
      attempts: settings.attempts,
      cause: error,
    });
  }

  private internal(error: InternalAddressError, label: string, bad: (message: string) => ImageApiError): ImageApiError {
    const where = isIP(error.hostname) ? error.address : `${error.hostname}, which resolves to ${error.address}`;
    return bad(
      `The URL of ${label} points to ${where} (${error.range} address); images are not downloaded from ` +
        "internal addresses other than the base URL's own host.",
    );
  }

  private tooLarge(status: number): ImageApiError {
    return new ImageApiError(
      'badResponse',
      `The response and its image downloads were larger than ${formatBytes(this.budget.limit)} together, so reading stopped (status ${status}).`,
      { status, requestId: this.settings.requestId, attempts: this.settings.attempts },
    );
  }

  /** Server text in a message: redacted first, then cut, so a cut cannot keep half of the key. */
  private shown(text: string): string {
    const clean = this.settings.redact(text);
    return clean.length > shownUrlLength ? `${clean.slice(0, shownUrlLength - 1)}…` : clean;
  }
}

/** Rejects with the signal's reason as soon as it aborts, whether or not `promise` ever settles. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Link-local (169.254/16 with the metadata address, fe80::/10) by the real table and the injected one. */
function isLinkLocal(address: string, rangeOf: RangeOf): boolean {
  return internalRange(address) === 'link-local' || rangeOf(address) === 'link-local';
}

/** One spelling per address, so `::1` from DNS and `[::1]` from the URL compare equal. */
function normalizeIp(address: string): string {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(ip) !== 6) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return ip;
  }
}

/** undici may hand back the lookup's error as is or as the cause of its own. */
function findInternal(error: unknown): InternalAddressError | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth++) {
    if (current instanceof InternalAddressError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Origin and path only: a query string may carry a presigned token. */
function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** A name this machine's resolver does not know (as opposed to a refused or internal address). */
function unresolvable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA';
}
