import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import * as vscode from 'vscode';
import type { closeProxyDispatchers, ProxyRouter } from '../core/api/proxy';
import { describeProxy, resolveProxy, type ProxySettings } from '../core/api/proxyRules';
import { type HttpSettingValues, toProxySettings } from '../core/api/proxySettings';
import { Disposable } from './dispose';
import type { Log } from './log';

/*
 * VS Code's proxy and certificate settings for the bundled undici (issue #11). VS Code applies them
 * only to node:http(s), fetch and its own sockets; undici opens its own, so the extension reads the
 * same settings and hands the client a ProxyRouter (src/core/api/proxy.ts explains the choice).
 */

/** What the engine bundle offers (src/core/engine.ts): undici stays out of the activation bundle. */
export interface ProxyTransport {
  readonly ProxyRouter: typeof ProxyRouter;
  readonly closeProxyDispatchers: typeof closeProxyDispatchers;
}

/** The http.* keys read, relative to the `http` section. */
const httpKeys = ['proxy', 'proxyStrictSSL', 'noProxy', 'proxyAuthorization', 'proxySupport', 'systemCertificates'] as const;

/**
 * Reads the settings at every use (so a change or an environment variable set later counts at once),
 * logs the route when it differs from the one logged last, and closes pooled proxy connections when http.* settings change
 * and on deactivate.
 */
export class NetworkSettings extends Disposable {
  private transport: ProxyTransport | undefined;
  private readonly warned = new Set<string>();
  /** The `Network:` lines written last: each client (a generation, every balance check) asks, the log hears a change. */
  private loggedRoute: string | undefined;

  constructor(private readonly log: Log) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        // Pooled keep-alive tunnels belong to the old proxy; the next request builds new ones.
        if (event.affectsConfiguration('http')) void this.transport?.closeProxyDispatchers();
      }),
    );
    this._register({ dispose: () => void this.transport?.closeProxyDispatchers('destroy') });
  }

  /**
   * The dispatcher for a client talking to `baseUrl` (ClientOptions.dispatcher), after logging which
   * way it goes when that changed. Every generation, edit and balance check gets it from here.
   */
  dispatcherFor(transport: ProxyTransport, baseUrl: string): Dispatcher {
    this.transport = transport;
    const settings = this.read();
    this.logRoute(settings, baseUrl);
    return new transport.ProxyRouter(settings);
  }

  /** The current ProxySettings: user-level http.* values only, the environment, NODE_EXTRA_CA_CERTS. */
  read(): ProxySettings {
    const config = vscode.workspace.getConfiguration('http');
    const values: Record<string, unknown> = {};
    for (const key of httpKeys) {
      const inspected = config.inspect<unknown>(key);
      // Security: a repository's .vscode/settings.json must not route the API key through its own
      // proxy, turn off certificate checks or exempt hosts. VS Code declares these settings
      // application-scoped; reading only the user's value makes sure whatever the host does.
      if (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined) {
        this.warnOnce(`http.${key} in the workspace settings is ignored: only your user settings decide how GPT Image Studio connects.`);
      }
      values[key] = inspected?.globalValue ?? inspected?.defaultValue;
    }
    const { settings, problems } = toProxySettings(values as HttpSettingValues, process.env, this.extraCertificates());
    for (const problem of problems) this.warnOnce(problem);
    this.protectCredentials(settings);
    return settings;
  }

  private logRoute(settings: ProxySettings, baseUrl: string): void {
    let target: URL;
    try {
      target = new URL(baseUrl);
    } catch {
      return; // the client reports the bad base URL
    }
    const port = target.port || (target.protocol === 'https:' ? '443' : '80');
    const lines = [`Network: ${target.hostname}:${port} via ${describeProxy(resolveProxy(settings, target))}`, `Network: TLS trusts ${describeTrust(settings)}`];
    // Once per configuration, not per client: a generation and the status bar's balance checks (Set API
    // Key asks twice: its key check and the key-change refresh) each build one. Again after a change, so the
    // log's tail always shows the route in effect.
    const route = lines.join('\n');
    if (route === this.loggedRoute) return;
    this.loggedRoute = route;
    for (const line of lines) this.log.info(line);
  }

  /** The NODE_EXTRA_CA_CERTS file, read now: Node reads it only at start, and only if set by then. */
  private extraCertificates(): string | undefined {
    const file = process.env.NODE_EXTRA_CA_CERTS?.trim();
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      this.warnOnce(`NODE_EXTRA_CA_CERTS names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); its certificates are not trusted.`);
      return undefined;
    }
  }

  /**
   * Belt and braces: no line names credentials (describeProxy drops them), and should an error ever
   * quote them, the log's redactor knows the Basic token, the Proxy-Authorization value and passwords
   * long enough (12+) not to blank ordinary words (a password "test" would cut "api.wisgate.test").
   */
  private protectCredentials(settings: ProxySettings): void {
    for (const value of [settings.proxy, settings.env.https_proxy, settings.env.HTTPS_PROXY, settings.env.http_proxy, settings.env.HTTP_PROXY]) {
      if (!value) continue;
      try {
        const url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`);
        if (!url.password && !url.username) continue;
        const password = decodeURIComponent(url.password);
        this.log.addSecret(Buffer.from(`${decodeURIComponent(url.username)}:${password}`).toString('base64'));
        if (password.length >= 12) this.log.addSecret(password);
      } catch {
        // unparsable: describeProxy never quotes it
      }
    }
    const authorization = settings.proxyAuthorization?.replace(/^\S+\s+/, '');
    if (authorization && authorization.length >= 12) this.log.addSecret(authorization);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log.warn(message);
  }
}

/** "Node's default CAs, the OS store (http.systemCertificates), 1 certificate from NODE_EXTRA_CA_CERTS". */
function describeTrust(settings: ProxySettings): string {
  const parts = ["Node's default CAs"];
  if (settings.systemCertificates) parts.push('the OS store (http.systemCertificates)');
  const extra = typeof settings.extraCa === 'string' ? (settings.extraCa.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length : 0;
  if (extra > 0) parts.push(`${extra} certificate${extra === 1 ? '' : 's'} from NODE_EXTRA_CA_CERTS (${settings.env.NODE_EXTRA_CA_CERTS})`);
  if (!settings.strictSSL) parts.push('anything on proxied connections (http.proxyStrictSSL is off)');
  return parts.join(', ');
}

/** The Settings editor on VS Code's proxy settings (the Open Proxy Settings button of a proxy error). */
export async function openProxySettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy');
}
