import type * as Undici from 'undici';

/*
 * The parts of undici the engine uses, required one module at a time. undici's index.js also loads
 * fetch, WebSocket, EventSource, the Cache API, cookies and the mock agents at require time; bundled,
 * that was ~130 KB of dist/engine.js (minified) that never runs. These are the very modules index.js
 * re-exports (same files, so the same classes and the same global dispatcher); the types are undici's.
 * `request` is index.js's makeDispatcher(api.request) for the URL forms used here.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const DispatcherClass = require('undici/lib/dispatcher/dispatcher') as typeof Undici.Dispatcher;
// As index.js does: every dispatcher gets request(), stream()… (Agent, Pool and ProxyAgent extend it).
Object.assign(DispatcherClass.prototype, require('undici/lib/api') as object);
const api = require('undici/lib/api') as { request: (this: Undici.Dispatcher, options: object) => Promise<Undici.Dispatcher.ResponseData> };
const global = require('undici/lib/global') as { getGlobalDispatcher: typeof Undici.getGlobalDispatcher };
const { parseURL } = require('undici/lib/core/util') as { parseURL: (url: string | URL) => URL };

export const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
export const Pool = require('undici/lib/dispatcher/pool') as typeof Undici.Pool;
export const ProxyAgent = require('undici/lib/dispatcher/proxy-agent') as typeof Undici.ProxyAgent;
export const interceptors = { redirect: require('undici/lib/interceptor/redirect') as typeof Undici.interceptors.redirect };
export const getGlobalDispatcher: typeof Undici.getGlobalDispatcher = () => global.getGlobalDispatcher();

/** undici's `request(url, options)`: on `options.dispatcher`, else the global one. */
export function request(url: string | URL, options: { dispatcher?: Undici.Dispatcher } & Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Undici.Dispatcher.HttpMethod }): Promise<Undici.Dispatcher.ResponseData> {
  const parsed = parseURL(url);
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  return api.request.call(dispatcher, {
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: options.method || (options.body ? 'PUT' : 'GET'),
  });
}
