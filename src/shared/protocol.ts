/**
 * The Image Studio message protocol, imported by the extension host (src/studio) and the webview
 * (src/webview). No `vscode` import: the webview bundle and plain mocha both load this file.
 *
 * Security: the webview is untrusted input. The host accepts a message only when `isFromWebview` says
 * so, which checks every field's type and value and rejects unknown types and unknown keys. Images are
 * referenced by gallery entry id + index, never by path, so a compromised webview cannot make the host
 * open, reveal or link an arbitrary file. No API key and no image bytes ever cross `postMessage`.
 */
import { backgrounds, maxCount, maxPromptLength, outputFormats, qualities, type Background, type OutputFormat, type Quality } from './options';
import { validatePrompt } from './optionRules';
import type { ErrorAction } from './labels';

/** Generous for `WIDTHxHEIGHT`; the host's validator decides which sizes the model accepts. */
export const maxSizeLength = 16;
export const maxIdLength = 64;
export const errorActions: readonly ErrorAction[] = ['setApiKey', 'openSettings', 'showLog'];

/** The options a user tunes in the Studio; defaults come from settings. */
export interface StudioOptions {
  readonly size: string;
  readonly quality: Quality;
  readonly n: number;
  readonly outputFormat: OutputFormat;
  readonly background: Background;
}

/** One saved image as the webview sees it: a webview URI (or none when outside localResourceRoots). */
export interface GalleryImage {
  /** `asWebviewUri` of the saved file; undefined when the file lies outside the panel's resource roots. */
  readonly src?: string;
  /** Workspace-relative (or absolute) path, for display and as the image's title. */
  readonly label: string;
}

export interface GalleryEntry {
  readonly id: string;
  readonly prompt: string;
  readonly options: StudioOptions;
  readonly model: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly images: readonly GalleryImage[];
}

export interface StudioDefaults {
  readonly options: StudioOptions;
  readonly model: string;
  /** gpt-image-2 accepts custom `WxH` sizes; other models only the standard ones. */
  readonly customSizes: boolean;
}

/** Identifies one image of one gallery entry. */
export interface ImageRef {
  readonly id: string;
  readonly index: number;
}

export type ImageCommand = 'insert' | 'open' | 'reveal' | 'copyLink';

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'generate'; readonly prompt: string; readonly options: StudioOptions }
  | { readonly type: 'cancel' }
  | ({ readonly type: ImageCommand } & ImageRef)
  | { readonly type: 'errorAction'; readonly action: ErrorAction };

/**
 * How a run or an action ended. A hidden webview drops messages, so the host keeps the last of these
 * sent while the panel was hidden and replays it in `init` (see `missed`).
 */
export type OutcomeMessage =
  | { readonly type: 'result'; readonly entry: GalleryEntry; readonly message: string }
  /** The run ended without images and without an error (cancelled, save dialog dismissed). */
  | { readonly type: 'stopped'; readonly message: string }
  /** `endsRun`: the error ended the generation; other errors (e.g. Insert with no editor) leave it running. */
  | { readonly type: 'error'; readonly message: string; readonly actions: readonly ErrorAction[]; readonly endsRun: boolean }
  | { readonly type: 'status'; readonly message: string };

const outcomeTypes: readonly OutcomeMessage['type'][] = ['result', 'stopped', 'error', 'status'];

export type ToWebview =
  | {
      readonly type: 'init';
      readonly defaults: StudioDefaults;
      readonly hasKey: boolean;
      readonly entries: readonly GalleryEntry[];
      /** Set when a generation is in flight (the webview was hidden and reloaded meanwhile). */
      readonly running?: { readonly prompt: string; readonly elapsedSeconds: number };
      /** The outcome posted while the panel was hidden, which that webview never received. */
      readonly missed?: OutcomeMessage;
    }
  | { readonly type: 'defaults'; readonly defaults: StudioDefaults }
  | { readonly type: 'hasKey'; readonly hasKey: boolean }
  | { readonly type: 'started'; readonly prompt: string }
  | { readonly type: 'progress'; readonly elapsedSeconds: number }
  | OutcomeMessage
  | { readonly type: 'entries'; readonly entries: readonly GalleryEntry[] };

export function isOutcome(message: ToWebview): message is OutcomeMessage {
  return isOneOf(message.type, outcomeTypes);
}

type Fields = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly these keys: extra keys mean a sender we do not know, so the message is dropped. */
function hasExactKeys(value: Fields, keys: readonly string[]): boolean {
  const actual = Object.keys(value);
  return actual.length === keys.length && keys.every((key) => Object.prototype.hasOwnProperty.call(value, key));
}

export function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maxCount;
}

/** Shape only (`auto` or `WxH` digits); whether the model accepts it is the validator's call. */
export function isSizeShape(value: unknown): value is string {
  return typeof value === 'string' && value.length <= maxSizeLength && /^(auto|\d{2,4}x\d{2,4})$/.test(value);
}

/**
 * Non-blank and at most maxPromptLength characters, counted as the validator counts (code points of
 * the trimmed text). The cheap UTF-16 bound first keeps a huge string from being walked at all.
 */
export function isPrompt(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 2 * maxPromptLength + 1000 && validatePrompt(value) === undefined;
}

export function isEntryId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= maxIdLength && /^[A-Za-z0-9_-]+$/.test(value);
}

export function isStudioOptions(value: unknown): value is StudioOptions {
  return (
    isRecord(value) &&
    hasExactKeys(value, ['size', 'quality', 'n', 'outputFormat', 'background']) &&
    isSizeShape(value.size) &&
    isOneOf(value.quality, qualities) &&
    isCount(value.n) &&
    isOneOf(value.outputFormat, outputFormats) &&
    isOneOf(value.background, backgrounds)
  );
}

/** Validates an incoming webview message: shape, types and values. Anything else is `false`. */
export function isFromWebview(raw: unknown): raw is FromWebview {
  if (!isRecord(raw) || typeof raw.type !== 'string') return false;
  switch (raw.type) {
    case 'ready':
    case 'cancel':
      return hasExactKeys(raw, ['type']);
    case 'generate':
      return hasExactKeys(raw, ['type', 'prompt', 'options']) && isPrompt(raw.prompt) && isStudioOptions(raw.options);
    case 'insert':
    case 'open':
    case 'reveal':
    case 'copyLink':
      return (
        hasExactKeys(raw, ['type', 'id', 'index']) &&
        isEntryId(raw.id) &&
        typeof raw.index === 'number' &&
        Number.isInteger(raw.index) &&
        raw.index >= 0 &&
        raw.index < maxCount
      );
    case 'errorAction':
      return hasExactKeys(raw, ['type', 'action']) && isOneOf(raw.action, errorActions);
    default:
      return false;
  }
}
