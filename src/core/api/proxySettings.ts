import type { ProxySettings, ProxySupport } from './proxyRules';

/*
 * From what the host read (VS Code's http.* user settings, the environment) to ProxySettings: plain
 * data in, plain data out, so every rule about types and defaults is tested in plain mocha (issue #11).
 */

/** The raw values of VS Code's http.* settings as `inspect().globalValue ?? defaultValue` gives them. */
export interface HttpSettingValues {
  readonly proxy?: unknown;
  readonly proxyStrictSSL?: unknown;
  readonly noProxy?: unknown;
  readonly proxyAuthorization?: unknown;
  readonly proxySupport?: unknown;
  readonly systemCertificates?: unknown;
}

/** The environment variables that shape the network path; nothing else of process.env is kept. */
export const networkEnvNames = [
  'https_proxy',
  'HTTPS_PROXY',
  'http_proxy',
  'HTTP_PROXY',
  'no_proxy',
  'NO_PROXY',
  'NODE_EXTRA_CA_CERTS',
] as const;

export interface MappedProxySettings {
  readonly settings: ProxySettings;
  /** Unusable values that were ignored, one sentence each naming the setting; never the value (it may hold a password). */
  readonly problems: readonly string[];
}

const supports: readonly ProxySupport[] = ['off', 'on', 'override', 'fallback'];

/**
 * Maps the values to ProxySettings with VS Code's defaults (strict SSL on, proxy support `override`,
 * system certificates on). `extraCa` is the content of the NODE_EXTRA_CA_CERTS file, read by the host
 * at use time: Node reads that file only when the process starts, and not every host's Node does.
 */
export function toProxySettings(
  values: HttpSettingValues,
  env: Readonly<Record<string, string | undefined>>,
  extraCa?: string,
): MappedProxySettings {
  const problems: string[] = [];
  const kept: Record<string, string> = {};
  for (const name of networkEnvNames) {
    const value = env[name];
    if (typeof value === 'string' && value.trim() !== '') kept[name] = value;
  }
  const text = (key: string, value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value.trim() || undefined;
    problems.push(`http.${key} is not a string; it is ignored.`);
    return undefined;
  };
  const flag = (key: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    problems.push(`http.${key} is not true or false; the default (${fallback}) is used.`);
    return fallback;
  };
  let noProxy: string[] = [];
  if (Array.isArray(values.noProxy)) {
    noProxy = values.noProxy.filter((entry): entry is string => typeof entry === 'string' && entry.trim() !== '').map((entry) => entry.trim());
    if (noProxy.length !== values.noProxy.filter((entry) => entry !== '').length) problems.push('http.noProxy has entries that are not strings; they are ignored.');
  } else if (values.noProxy !== undefined && values.noProxy !== null) {
    problems.push('http.noProxy is not a list of host names; it is ignored.');
  }
  let proxySupport: ProxySupport = 'override';
  if (values.proxySupport !== undefined && values.proxySupport !== null) {
    if (supports.includes(values.proxySupport as ProxySupport)) proxySupport = values.proxySupport as ProxySupport;
    else problems.push(`http.proxySupport is not one of ${supports.join(', ')}; "override" is used.`);
  }
  const settings: ProxySettings = {
    proxy: text('proxy', values.proxy),
    strictSSL: flag('proxyStrictSSL', values.proxyStrictSSL, true),
    noProxy,
    proxyAuthorization: text('proxyAuthorization', values.proxyAuthorization),
    proxySupport,
    env: kept,
    extraCa: extraCa && /-----BEGIN CERTIFICATE-----/.test(extraCa) ? extraCa : undefined,
    systemCertificates: flag('systemCertificates', values.systemCertificates, true),
  };
  return { settings, problems };
}
