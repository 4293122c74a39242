import { plainText } from '../shared/plainText';
import type { ErrorAction } from '../shared/labels';
import { ImageApiError, type ImageErrorKind } from './errors';
import { proxyFailureOf } from './api/proxyErrors';

export interface ErrorDescription {
  readonly kind: ImageErrorKind | 'unexpected';
  /** One sentence for a notification or the Studio's alert. */
  readonly message: string;
  readonly actions: readonly ErrorAction[];
}

/** What the user was doing, for an error that is no ImageApiError: `Insert` → "Insert failed: …". */
export interface DescribeContext {
  /** Required: every surface names its own action, so an Insert never fails as "Image generation". */
  readonly action: string;
  /** The surface can send the same request again: transient errors then offer Try Again. */
  readonly canTryAgain?: boolean;
  /** The host's name for the timeout setting, added to a timeout's advice; core knows no setting keys. */
  readonly timeoutSetting?: string;
}

/**
 * One message and its actions per error class. The server's own text is kept where it helps (invalid
 * request, moderation); the request id is appended so a support ticket can quote it. Security: that
 * text (and the request id, a field name, a Location header, a value from settings) is the server's or
 * the workspace's, so the message is made plain: it can never form a link in a notification.
 */
export function describeError(error: unknown, context: DescribeContext): ErrorDescription {
  const again = context.canTryAgain === true;
  const description = describe(error, context.action, again, context.timeoutSetting);
  const actions = again ? description.actions : description.actions.filter((action) => action !== 'tryAgain');
  return { ...description, message: plainText(description.message), actions };
}

function describe(error: unknown, action: string, canTryAgain: boolean, timeoutSetting: string | undefined): ErrorDescription {
  if (!(error instanceof ImageApiError)) {
    const text = error instanceof Error ? error.message : String(error);
    return { kind: 'unexpected', message: `${action} failed: ${text}`, actions: ['showLog'] };
  }
  const id = error.requestId ? ` (request id ${error.requestId})` : '';
  const server = error.message.replace(/\.$/, '');
  // A proxy or certificate failure (issue #11): its own sentence, and the proxy settings to fix it.
  const proxy = error.kind === 'cancelled' ? undefined : proxyFailureOf(error);
  if (proxy) return { kind: error.kind, message: `${proxy.message.replace(/\.$/, '')}${id}.`, actions: ['openProxySettings', 'showLog'] };
  // Issue #11: the request reached the server and may have produced a billed image; it was not
  // retried automatically, and the user decides whether to send it again.
  if (error.mayBeCharged && error.kind !== 'cancelled') {
    const settings: readonly ErrorAction[] = error.kind === 'timeout' ? ['openSettings'] : [];
    const tail = canTryAgain ? ` Try Again sends the same request once more${id}.` : error.requestId ? ` Request id ${error.requestId}.` : '';
    return { kind: error.kind, message: `${server}.${tail}`, actions: ['tryAgain', ...settings, 'showLog'] };
  }
  switch (error.kind) {
    case 'validation':
      // A bad prompt is fixed where it was typed; anything else comes from settings.
      return {
        kind: error.kind,
        message: `${server}.`,
        actions: error.param === 'prompt' ? ['showLog'] : ['openSettings', 'showLog'],
      };
    case 'auth':
      return {
        kind: error.kind,
        message:
          error.status === 401
            ? `The API key was rejected (401). Set a valid WisGate API key${id}.`
            : `${server}. Set your WisGate API key.`,
        actions: ['setApiKey', 'showLog'],
      };
    case 'permission':
      return {
        kind: error.kind,
        // A gateway's "Token Group … Has Been Disabled" is about the key itself, not the region.
        message: error.keyDisabled
          ? `${server}. The key is disabled or its quota is used up: check the key and its quota in your WisGate dashboard, or set another key${id}.`
          : `${server}. Your key or region may not be allowed to use this model${id}.`,
        actions: ['setApiKey', 'showLog'],
      };
    case 'quota':
      return {
        kind: error.kind,
        message: `Your WisGate quota is used up. Check your plan and billing, then try again${id}.`,
        actions: ['showLog'],
      };
    case 'rateLimited':
      return {
        kind: error.kind,
        message: `Rate limited (429) even after ${error.attempts ?? 1} attempts. Wait a minute and try again${id}.`,
        actions: ['tryAgain', 'showLog'],
      };
    case 'moderation':
      return {
        kind: error.kind,
        message: `The safety system refused this prompt. Rephrase it and try again${id}.`,
        actions: ['showLog'],
      };
    case 'invalidRequest':
      return {
        kind: error.kind,
        message: `The API rejected the request${error.param ? ` (field "${error.param}")` : ''}: ${server}${id}.`,
        actions: ['openSettings', 'showLog'],
      };
    case 'notFound':
      return {
        kind: error.kind,
        message: `Not found (404): check the base URL and model in settings${id}.`,
        actions: ['openSettings', 'showLog'],
      };
    case 'server':
      return {
        kind: error.kind,
        message: `The image service had an error (${error.status ?? '5xx'}) after ${error.attempts ?? 1} attempts. Try again later${id}.`,
        actions: ['tryAgain', 'showLog'],
      };
    case 'network':
      // With a status the server did answer: the connection and base URL are fine (issue #11).
      return error.status
        ? { kind: error.kind, message: `${server}. Try again later${id}.`, actions: ['tryAgain', 'showLog'] }
        : { kind: error.kind, message: `${server}. Check your connection and the base URL.`, actions: ['tryAgain', 'openSettings', 'showLog'] };
    case 'timeout':
      return {
        kind: error.kind,
        message: `${server}. Try a lower quality or raise the timeout${timeoutSetting ? ` (setting ${timeoutSetting})` : ''}${id}.`,
        actions: ['tryAgain', 'openSettings', 'showLog'],
      };
    case 'cancelled':
      return { kind: error.kind, message: 'Generation cancelled. Nothing was saved.', actions: [] };
    case 'badResponse':
      return {
        kind: error.kind,
        message: `${server}${id}.`,
        actions: ['openSettings', 'showLog'],
      };
    case 'io':
      return { kind: error.kind, message: `${server}.`, actions: ['openSettings', 'showLog'] };
  }
}
