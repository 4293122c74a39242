import { BlockList, isIP } from 'node:net';

/*
 * Proxy support for the bundled undici (issue #11).
 *
 * Decision: keep undici and feed it a dispatcher built from what VS Code users configure, instead of
 * handing the transport to the node:http(s) stack that VS Code patches.
 * - VS Code's extension host (microsoft/vscode src/vs/workbench/api/node/proxyResolver.ts with
 *   @vscode/proxy-agent) replaces `request`/`get` of node:http and node:https, global `fetch` and
 *   `WebSocket`, and `connect` of node:net and node:tls. A bundled undici opens its own sockets through
 *   net.connect/tls.connect, so no proxy is ever applied to it: the proxy decision has to happen here.
 * - http.systemCertificates: by default (http.experimental.systemCertificatesV2 off) VS Code adds the
 *   OS certificates only to requests made through the patched https module (`_vscodeAdditionalCaCerts`
 *   consumed by its patched tls.createSecureContext); undici's sockets never see them. With V2 on, its
 *   patched tls.connect adds them to any socket, undici's included, but only when the caller passes no
 *   `ca`. So we pass `ca` only when we have something to add (extraCa, or the OS store read through
 *   Node's tls.getCACertificates('system') on Node >= 22.15), and then always on top of Node's default
 *   store: an explicit `ca` replaces Node's roots, and NODE_EXTRA_CA_CERTS with them.
 * - PAC files, WPAD and OS proxy settings: VS Code resolves them in the main process (Chromium's
 *   resolver, via extHostWorkspace.resolveProxy) and only for the patched modules; extensions get no API
 *   for it, and a plain undici dispatcher cannot evaluate PAC. Users behind a PAC-only proxy set
 *   http.proxy or HTTPS_PROXY. A later fallback could route through node:https for that case, at the
 *   cost of this client's undici features (limits, timeouts, streaming).
 * - Why not EnvHttpProxyAgent: in 6.29.1 it is marked experimental (emits a process warning), reads
 *   process.env itself, and has no CIDR, host:port-only or `*.suffix` rules; ProxyAgent per decision
 *   keeps the rules pure and testable here.
 * Rules follow @vscode/proxy-agent: loopback is always direct; a non-empty http.noProxy replaces
 * NO_PROXY; http.proxy beats the environment; http.proxySupport "off" means no proxy at all.
 */

/** Values of VS Code's `http.proxySupport`. For our own dispatcher "on", "override" and "fallback" act alike. */
export type ProxySupport = 'off' | 'on' | 'override' | 'fallback';

/** What the host reads from VS Code settings and the environment; plain data, no `vscode` types. */
export interface ProxySettings {
  /** `http.proxy`, e.g. `http://user:pass@proxy:3128`. A missing scheme means http://. */
  readonly proxy?: string;
  /** `http.proxyStrictSSL`: verify certificates on proxied connections (proxy and API through it). */
  readonly strictSSL: boolean;
  /** `http.noProxy`. When non-empty, NO_PROXY is ignored, as in VS Code. */
  readonly noProxy: readonly string[];
  /** `http.proxyAuthorization`: the whole Proxy-Authorization value; wins over credentials in the URL. */
  readonly proxyAuthorization?: string;
  readonly proxySupport: ProxySupport;
  /** Usually `process.env`: https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY, no_proxy, NO_PROXY, NODE_EXTRA_CA_CERTS. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** More PEM certificates to trust on top of Node's default store (e.g. a TLS-inspecting proxy's CA). */
  readonly extraCa?: string | Buffer | readonly (string | Buffer)[];
  /** `http.systemCertificates`: also trust the OS store (needs Node >= 22.15; ignored before). Default false. */
  readonly systemCertificates?: boolean;
}

/** Where a proxy came from, as named in the log. */
export type ProxySource = 'http.proxy' | 'https_proxy' | 'HTTPS_PROXY' | 'http_proxy' | 'HTTP_PROXY';

/** How one target URL is reached. `authorization` is non-enumerable so logging the object cannot leak it. */
export type ProxyDecision =
  | { readonly kind: 'direct'; readonly reason: string }
  | {
      readonly kind: 'proxy';
      readonly source: ProxySource;
      /** Scheme, host and port only: never credentials. */
      readonly proxyUrl: string;
      readonly authorization?: string;
    }
  | { readonly kind: 'invalid'; readonly source: ProxySource; readonly message: string };

/** Thrown by {@link proxyDispatcher} for an `invalid` decision: the request must not silently go direct. */
export class ProxySettingsError extends Error {
  override readonly name = 'ProxySettingsError';
  readonly code = 'ERR_PROXY_SETTINGS';
}

const loopback = new Set(['localhost', '::1']);
const noProxyConfigured = 'no http.proxy or HTTPS_PROXY/HTTP_PROXY; PAC and OS proxy settings are not read';

/**
 * Decides how `target` is reached under `settings`: directly, through which proxy, or not at all
 * because the configured proxy is unusable (unparsable, or a scheme undici cannot speak such as socks).
 */
export function resolveProxy(settings: ProxySettings, target: string | URL): ProxyDecision {
  const url = new URL(target);
  const host = normalizeHost(url.hostname);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (settings.proxySupport === 'off') return { kind: 'direct', reason: 'http.proxySupport is off' };
  // As in VS Code: a proxy never sees loopback traffic (local fixtures and servers keep working).
  if (loopback.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)) return { kind: 'direct', reason: 'loopback host' };

  const candidate = configuredProxy(settings, url.protocol === 'https:');
  // Said in the log so a PAC-only user sees why: VS Code's PAC resolution is out of our reach.
  if (!candidate) return { kind: 'direct', reason: noProxyConfigured };

  const fromSettings = settings.noProxy.length > 0;
  const noProxySource = fromSettings ? 'http.noProxy' : settings.env.no_proxy ? 'no_proxy' : 'NO_PROXY';
  const entries = fromSettings ? settings.noProxy : (settings.env.no_proxy || settings.env.NO_PROXY || '').split(/[\s,]+/);
  const entry = matchNoProxy(entries, host, port);
  if (entry !== undefined) return { kind: 'direct', reason: `${noProxySource} entry "${entry}"` };

  return toDecision(candidate.source, candidate.value, settings.proxyAuthorization);
}

/** One line for the log: which way a request goes, naming the proxy without user:pass@ or Proxy-Authorization. */
export function describeProxy(decision: ProxyDecision): string {
  switch (decision.kind) {
    case 'direct':
      return `direct (${decision.reason})`;
    case 'proxy':
      return `proxy ${decision.proxyUrl} from ${decision.source}${decision.authorization ? ' with Proxy-Authorization' : ''}`;
    case 'invalid':
      return `no usable proxy: ${decision.message}`;
  }
}

/**
 * The first `entries` item (VS Code http.noProxy / NO_PROXY syntax) that exempts `host:port`, if any.
 * `*` matches everything; `example.com`, `.example.com` and `*.example.com` match that domain and its
 * subdomains (curl's and VS Code's rule); `name:port` restricts to one port; `10.0.0.0/8` and
 * `fd00::/8` match IP literals by CIDR; `[::1]:8080` names an IPv6 address with a port.
 */
export function matchNoProxy(entries: readonly string[], target: string, port: string): string | undefined {
  const host = normalizeHost(target);
  const hostIp = isIP(host);
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return raw.trim();
    const split = splitPort(entry);
    const entryPort = split.entryPort;
    const name = split.name.includes('/') ? split.name : normalizeHost(split.name);
    if (entryPort !== undefined && entryPort !== port) continue;
    const [, network, bits] = /^(.+)\/(\d{1,3})$/.exec(name) ?? [];
    if (network !== undefined) {
      if (hostIp !== 0 && inSubnet(host, hostIp, network, Number(bits))) return raw.trim();
      continue;
    }
    if (isIP(name) !== 0) {
      if (name === host) return raw.trim();
      continue;
    }
    const domain = name.replace(/^\*?\.?/, '');
    if (domain !== '' && (host === domain || host.endsWith(`.${domain}`))) return raw.trim();
  }
  return undefined;
}

function configuredProxy(settings: ProxySettings, https: boolean): { source: ProxySource; value: string } | undefined {
  const fromSetting = settings.proxy?.trim();
  if (fromSetting) return { source: 'http.proxy', value: fromSetting };
  // Lower case first (curl, VS Code). For https targets this is exactly VS Code's order; http targets
  // prefer http_proxy, as curl does, and still fall back to the https variables like VS Code.
  const names: readonly ProxySource[] = https
    ? ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']
    : ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'];
  for (const name of names) {
    const value = settings.env[name]?.trim();
    if (value) return { source: name, value };
  }
  return undefined;
}

function toDecision(source: ProxySource, value: string, proxyAuthorization: string | undefined): ProxyDecision {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    // The value itself may hold credentials, so it is not quoted.
    return { kind: 'invalid', source, message: `${source} is not a valid proxy URL` };
  }
  const proxyUrl = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { kind: 'invalid', source, message: `${source} ${proxyUrl}: only http:// and https:// proxies are supported` };
  }
  const decision = { kind: 'proxy' as const, source, proxyUrl };
  let authorization = proxyAuthorization?.trim();
  if (!authorization) {
    const basic = basicFromUrl(url);
    // Checked here, before any request: a stray `%` made decodeURIComponent throw inside dispatch,
    // and that error read as "the request may have been charged" (issue #11 review).
    if (basic === null) {
      return { kind: 'invalid', source, message: `${source} ${proxyUrl}: the user name or password in the proxy URL has a malformed percent-escape (write a literal % as %25)` };
    }
    authorization = basic;
  }
  if (authorization) Object.defineProperty(decision, 'authorization', { value: authorization, enumerable: false });
  return decision;
}

/** The Basic value for the URL's credentials; `undefined` without any, `null` when they cannot be decoded. */
function basicFromUrl(url: URL): string | undefined | null {
  if (!url.username && !url.password) return undefined;
  let pair: string;
  try {
    pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    return null;
  }
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/**
 * A host as the rules compare it: lower case, without IPv6 brackets or a trailing dot (`example.com.`
 * is the same host as `example.com`), and an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, which the
 * URL parser writes `::ffff:7f00:1`) as its IPv4 address, so neither form slips past http.noProxy or
 * the loopback rule (issue #11 review).
 */
export function normalizeHost(hostname: string): string {
  const host = hostname.trim().replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
  if (isIP(host) !== 6) return host;
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
  if (dotted !== undefined && isIP(dotted) === 4) return dotted;
  const [, highGroup, lowGroup] = /^(?:0{0,4}:){0,5}:?ffff:([\da-f]{1,4}):([\da-f]{1,4})$/.exec(host) ?? [];
  if (highGroup === undefined || lowGroup === undefined) return host;
  const high = parseInt(highGroup, 16);
  const low = parseInt(lowGroup, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

function splitPort(entry: string): { name: string; entryPort?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed?.[1] !== undefined) return { name: bracketed[1], entryPort: bracketed[2] };
  const withPort = /^([^:]+):(\d+)$/.exec(entry); // one colon only: a bare IPv6 address has no port
  return withPort?.[1] !== undefined ? { name: withPort[1], entryPort: withPort[2] } : { name: entry };
}

function inSubnet(host: string, hostIp: number, network: string, prefix: number): boolean {
  const family = isIP(network);
  if (family === 0 || family !== hostIp || prefix > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
