import { ImageApiError } from '../errors';
import { defaultBaseUrl, type GenerationRequest } from '../types';
import { isLoopbackHost } from './addressPolicy';

/**
 * The exact JSON body: model, prompt, n, size, then the optional fields only when set. Never
 * `response_format`: GPT image models reject it with 400 unknown_parameter and always answer base64.
 */
export function buildRequestBody(request: GenerationRequest): string {
  const body: Record<string, unknown> = {
    model: request.model,
    prompt: request.prompt,
    n: request.n,
    size: request.size,
  };
  if (request.quality !== undefined) body.quality = request.quality;
  if (request.background !== undefined) body.background = request.background;
  if (request.outputFormat !== undefined) body.output_format = request.outputFormat;
  if (request.outputCompression !== undefined) body.output_compression = request.outputCompression;
  if (request.moderation !== undefined) body.moderation = request.moderation;
  if (request.user !== undefined) body.user = request.user;
  return JSON.stringify(body);
}

/** The images API endpoints this client calls: `generations` (JSON) and `edits` (multipart). */
export type ImagesOperation = 'generations' | 'edits';

/**
 * `{baseUrl}/images/generations` (or `/images/edits`), tolerating trailing slashes and keeping a query string (some relays
 * need one). Throws ImageApiError('validation', …, {param: 'baseUrl'}) for anything but https, or
 * http on this machine (localhost, 127.0.0.0/8, ::1).
 */
export function imagesEndpoint(baseUrl: string = defaultBaseUrl, operation: ImagesOperation = 'generations'): URL {
  const base = parseBaseUrl(baseUrl);
  const endpoint = new URL(base.href);
  endpoint.pathname = `${base.pathname.replace(/\/+$/, '')}/images/${operation}`;
  return endpoint;
}

export function parseBaseUrl(baseUrl: string): URL {
  const hint = 'use an http(s) URL such as https://api.wisgate.ai/v1';
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new ImageApiError('validation', `The base URL "${baseUrl}" is not a URL: ${hint}.`, { param: 'baseUrl', attempts: 0 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImageApiError('validation', `The base URL must start with http:// or https://, not ${url.protocol}//: ${hint}.`, {
      param: 'baseUrl',
      attempts: 0,
    });
  }
  // The key goes in a header: over plain http it would cross every network between here and the host.
  // Only this machine is exempt (local relays, the test fixture): refused, not warned about.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ImageApiError(
      'validation',
      `The base URL uses http:// for ${url.host}, which would send your API key unencrypted; use https:// ` +
        '(plain http:// is allowed only for localhost, 127.0.0.1 and ::1).',
      { param: 'baseUrl', attempts: 0 },
    );
  }
  if (url.username || url.password) {
    throw new ImageApiError('validation', 'The base URL must not contain a user name or password; the API key is sent separately.', {
      param: 'baseUrl',
      attempts: 0,
    });
  }
  url.hash = '';
  return url;
}
