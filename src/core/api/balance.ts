import { request as undiciRequest } from './undici';
import { defaultBaseUrl } from '../types';
import type { ClientOptions } from './client';
import { startDeadline } from './deadline';
import { networkReason } from './networkErrors';
import { redactorFor } from './redact';
import { parseBaseUrl } from './request';
import { discard, headerValue, readBody } from './responseBody';
import { cut, displayUrl } from './responseErrors';

/**
 * What `GET {base}/users/me/balance` told us (WisGate documents it; other gateways may not have it).
 * - `balance`: `availableUsd` = cash + package balance; `tokenBalanceUsd` = what this key may still spend.
 * - `unsupported`: 404/405, or an answer of another shape (HTML, a huge body, other fields): the caller
 *   degrades quietly to usage-based figures and stops asking this base URL.
 * - `rejected`: 401/403: the key does not work (or its token group is disabled / out of quota).
 * - `unavailable`: network trouble, a timeout, 5xx: ask again later.
 */
export type BalanceResult =
  | {
      readonly kind: 'balance';
      readonly availableUsd: number;
      readonly tokenBalanceUsd?: number;
      readonly unlimited?: boolean;
    }
  | { readonly kind: 'unsupported'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** The answer is a handful of numbers: anything longer is not the documented endpoint. */
export const maxBalanceBytes = 16 * 1024;
export const balanceTimeoutMs = 10_000;
/** A figure beyond this (in USD) is not believed. */
const maxPlausibleUsd = 1e9;

export function balanceEndpoint(baseUrl: string = defaultBaseUrl): URL {
  const base = parseBaseUrl(baseUrl);
  const endpoint = new URL(base.href);
  endpoint.pathname = `${base.pathname.replace(/\/+$/, '')}/users/me/balance`;
  return endpoint;
}

/**
 * Asks the gateway for the key's balance: free, so it also validates a key. Same transport as a
 * generation (the dispatcher, User-Agent, redaction), but one attempt, a short timeout and a tiny
 * body limit. Never throws for an answer: every outcome is a {@link BalanceResult}. A bad base URL or
 * key still throws ImageApiError('validation' / 'auth') from parseBaseUrl, before anything is sent.
 */
export async function fetchBalance(
  options: Pick<ClientOptions, 'baseUrl' | 'apiKey' | 'userAgent' | 'dispatcher' | 'logger'> & { readonly timeoutMs?: number },
  signal?: AbortSignal,
): Promise<BalanceResult> {
  const redactor = redactorFor(options.apiKey);
  const endpoint = balanceEndpoint(options.baseUrl?.trim() || defaultBaseUrl);
  const apiKey = options.apiKey ?? '';
  if (!/^[\x21-\x7e]+$/.test(apiKey)) return { kind: 'rejected', status: 0, reason: 'the API key is empty or has characters that cannot be sent' };
  const deadline = startDeadline(options.timeoutMs ?? balanceTimeoutMs, signal);
  const started = Date.now();
  const log = (line: string): void => options.logger?.info(redactor.redact(line));
  try {
    const response = await undiciRequest(endpoint, {
      method: 'GET',
      headers: {
        Authorization: `Bearer ${apiKey}`,
        Accept: 'application/json',
        'User-Agent': options.userAgent || 'gpt-image-studio',
      },
      signal: deadline.signal,
      dispatcher: options.dispatcher,
      headersTimeout: deadline.timeoutMs,
      bodyTimeout: deadline.timeoutMs,
      maxRedirections: 0,
    });
    const status = response.statusCode;
    log(`GET ${displayUrl(endpoint)} → ${status} in ${Date.now() - started} ms`);
    const declared = Number(headerValue(response.headers, 'content-length'));
    if (declared > maxBalanceBytes) {
      discard(response.body);
      return status >= 200 && status < 300 ? { kind: 'unsupported', reason: 'the balance answer is too large' } : classifyStatus(status, '');
    }
    // Cut, not failed: an error page's first bytes are enough, and a 2xx this long is no balance.
    const bytes = await readBody(response.body, maxBalanceBytes + 1);
    const text = bytes.subarray(0, maxBalanceBytes).toString('utf8');
    if (status < 200 || status >= 300) return classifyStatus(status, redactor.redact(text));
    if (bytes.length > maxBalanceBytes) return { kind: 'unsupported', reason: 'the balance answer is too large' };
    return parseBalance(text);
  } catch (error) {
    const reason = deadline.timedOut() ? 'no answer within 10 s' : signal?.aborted ? 'cancelled' : networkReason(error);
    log(`GET ${displayUrl(endpoint)} → failed after ${Date.now() - started} ms: ${reason}`);
    return { kind: 'unavailable', reason: redactor.redact(reason) };
  } finally {
    deadline.dispose();
  }
}

function classifyStatus(status: number, text: string): BalanceResult {
  if (status === 401 || status === 403) {
    let message = '';
    try {
      const json: unknown = JSON.parse(text);
      const inner = typeof json === 'object' && json !== null ? (json as { error?: { message?: unknown }; message?: unknown }) : {};
      const candidate = inner.error?.message ?? inner.message;
      if (typeof candidate === 'string') message = candidate;
    } catch {
      message = '';
    }
    const printable = cut(message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim(), 200);
    return { kind: 'rejected', status, reason: printable || (status === 401 ? 'the key was rejected' : 'access was denied') };
  }
  if (status === 404 || status === 405 || status === 501 || (status >= 300 && status < 400)) {
    return { kind: 'unsupported', reason: `the gateway has no balance endpoint (${status})` };
  }
  if (status === 408 || status === 429 || status >= 500) return { kind: 'unavailable', reason: `the gateway answered ${status}` };
  return { kind: 'unsupported', reason: `the gateway answered ${status}` };
}

/**
 * The documented object, at the top level or under `data` (a common wrapper). Amounts may be numbers
 * or decimal strings; `available_balance` is required, anything implausible makes the shape unknown.
 */
export function parseBalance(text: string): BalanceResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unsupported', reason: 'the balance answer is not JSON' };
  }
  const record = unwrap(json);
  if (!record) return { kind: 'unsupported', reason: 'the balance answer has another shape' };
  const available = amount(record.available_balance);
  if (available === undefined) return { kind: 'unsupported', reason: 'the balance answer has no usable available_balance' };
  const token = amount(record.token_balance);
  const unlimited = record.is_token_unlimited_quota;
  return {
    kind: 'balance',
    availableUsd: available,
    ...(token !== undefined && { tokenBalanceUsd: token }),
    ...(typeof unlimited === 'boolean' && { unlimited }),
  };
}

function unwrap(json: unknown): Record<string, unknown> | undefined {
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isRecord(json)) return undefined;
  if ('available_balance' in json) return json;
  return isRecord(json.data) && 'available_balance' in json.data ? json.data : undefined;
}

function amount(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d{1,12}(\.\d{1,12})?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && Math.abs(n) <= maxPlausibleUsd ? n : undefined;
}
