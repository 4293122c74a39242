import { isIP } from 'node:net';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { AddressGuard, InternalAddressError, internalRange, systemLookup, type Lookup, type RangeOf } from './addressPolicy';
import type { Deadline } from './deadline';
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
 * - no loopback, private, link-local, CGNAT or ULA address, judged after DNS, unless the base URL's
 *   own host is one (a relay on the LAN or this machine); the socket then connects to exactly the
 *   addresses checked. With a caller's dispatcher (a proxy) the names are checked, but the dispatcher
 *   connects on its own;
 * - everything read counts against the answer's byte budget and the attempt's deadline.
 */
export class ImageDownloads {
  private readonly guard: AddressGuard;
  private relaxed: Promise<boolean> | undefined;
  private pinned: Agent | undefined;

  constructor(
    private readonly settings: DownloadSettings,
    private readonly deadline: Deadline,
    private readonly budget: ByteBudget,
  ) {
    this.guard = new AddressGuard(settings.lookup ?? systemLookup, settings.rangeOf ?? internalRange);
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
          dispatcher: await this.dispatcher(),
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
    if (await this.allowsInternal()) return;
    try {
      await this.guard.check(url.hostname);
    } catch (error) {
      if (error instanceof InternalAddressError) throw this.internal(error, label, bad);
      throw error;
    }
  }

  /**
   * Whether the base URL's own host is internal (a relay on this machine or the LAN): then the images
   * it links to may be too. Decided once per answer, by the same lookup and ranges as the images.
   */
  private allowsInternal(): Promise<boolean> {
    this.relaxed ??= (async () => {
      const rangeOf = this.settings.rangeOf ?? internalRange;
      const host = this.settings.base.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) return rangeOf(host) !== undefined;
      try {
        const addresses = await (this.settings.lookup ?? systemLookup)(host);
        return addresses.some(({ address }) => rangeOf(address) !== undefined);
      } catch {
        return false;
      }
    })();
    return this.relaxed;
  }

  /** The caller's dispatcher; else, unless relaxed, an Agent whose sockets use the checked addresses. */
  private async dispatcher(): Promise<Dispatcher | undefined> {
    if (this.settings.dispatcher || (await this.allowsInternal())) return this.settings.dispatcher;
    this.pinned ??= new Agent({ connect: { lookup: this.guard.connectLookup } });
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
        'internal addresses unless gptImage.baseUrl is on one.',
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
