/**
 * The Image Studio message protocol, imported by the extension host (src/studio) and the webview
 * (src/webview). No `vscode` import: the webview bundle and plain mocha both load this file.
 *
 * Security: the webview is untrusted input. The host accepts a message only when `isFromWebview` says
 * so, which checks every field's type and value and rejects unknown types and unknown keys. Images are
 * referenced by gallery entry id + index, never by path, so a compromised webview cannot make the host
 * open, reveal or link an arbitrary file. No API key and no image bytes ever cross `postMessage`.
 *
 * Runs: every message about one generation carries its `runId`. The webview creates the id with its
 * `generate` request (so it can match the answers, and cancel, before `started` arrives; parallel runs
 * and streaming previews need nothing new); `cancel` names it; the host echoes it on `started`,
 * `progress`, `result`, `stopped` and on the `error` that ends the run, and in `init` for runs still going
 * or ended while the panel was hidden. The host treats the id as an untrusted token: shape-checked, used
 * once per panel (a repeat is dropped), never a key into anything but the panel's own runs
 * (src/studio/studioRuns.ts). The webview ignores messages of runs it does not know (src/shared/runScope.ts).
 */
import { backgrounds, imageOptionFields, maxCount, maxPromptLength, outputFormats, qualities, type ImageOptions } from './options';
import { validatePrompt } from './optionRules';
import type { ErrorAction } from './labels';
import type { TokenRates } from './cost';
import { isEditMessage, type EditFromWebview, type EditToWebview } from './editProtocol';
import { hasExactKeys, isRecord } from './guards';

/** Generous for `WIDTHxHEIGHT`; the host's validator decides which sizes the model accepts. */
export const maxSizeLength = 16;
export const maxIdLength = 64;
export const maxRunIdLength = 64;
export const errorActions: readonly ErrorAction[] = ['setApiKey', 'openSettings', 'openProxySettings', 'showLog', 'tryAgain'];

/** One saved image as the webview sees it: a webview URI (or none when outside localResourceRoots). */
export interface GalleryImage {
  /** `asWebviewUri` of the saved file; undefined when the file lies outside the panel's resource roots. */
  readonly src?: string;
  /** Workspace-relative (or absolute) path, for display and as the image's title. */
  readonly label: string;
  /**
   * The saved file's `file:` URI, chosen by the host (never by the webview), set only with `src`: what a
   * drag of the card's image carries as `text/uri-list` (issue #15 §3).
   */
  readonly fileUri?: string;
  /** Marked with Keep (issue #13): Discard the others leaves it. */
  readonly kept?: boolean;
  /** Its versions, oldest first (the edit chain through this image), when it is part of one. */
  readonly versions?: readonly GalleryVersion[];
}

/** One step of an image's lineage: the original, an edit of it, an edit of that… */
export interface GalleryVersion {
  /** File name, for display. */
  readonly name: string;
  readonly src?: string;
  /** Its gallery card, when it is one (a generated or edited image still in the history). */
  readonly ref?: ImageRef;
  /** This card's own image. */
  readonly current?: boolean;
  /** The file no longer exists. */
  readonly deleted?: boolean;
}

/** What an edit was made from: its first parent image. */
export interface EditedFrom {
  /** The parent's file name (`hero.png`). */
  readonly name: string;
  /** Its card, when it has one; otherwise `openParent` opens the file. */
  readonly ref?: ImageRef;
  readonly deleted: boolean;
}

export interface GalleryEntry {
  readonly id: string;
  readonly prompt: string;
  readonly options: ImageOptions;
  readonly model: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly images: readonly GalleryImage[];
  /** What the generation cost, formatted (`$0.13`, `≈ $0.21 (estimate)`); older entries have none. */
  readonly cost?: string;
  /** Set for an edit (issue #13 lineage). */
  readonly editedFrom?: EditedFrom;
  /** Keep / Discard the others are offered (several images, in this workspace's history). */
  readonly variants?: boolean;
}

export interface StudioDefaults {
  readonly options: ImageOptions;
  readonly model: string;
  /** gpt-image-2 accepts custom `WxH` sizes; other models only the standard ones. */
  readonly customSizes: boolean;
  /** For the estimate the form shows as options change (issue #14). */
  readonly cost?: StudioCostInfo;
}

export interface StudioCostInfo {
  readonly rates: TokenRates;
  /** Previews each image streams (they cost a little). */
  readonly previewImages: number;
  /** Generate asks to confirm above this estimate. */
  readonly confirmAboveUsd: number;
}

/** Identifies one image of one gallery entry. */
export interface ImageRef {
  readonly id: string;
  readonly index: number;
}

export type ImageCommand = 'insert' | 'open' | 'reveal' | 'copyLink';

/** Names one generation run of one panel: 1–64 of `A-Z a-z 0-9 _ -` (the webview uses 32 hex digits). */
export type RunId = string;

/** A run still going, as `init` reports it to a webview that was reloaded meanwhile. */
export interface RunningRun {
  readonly runId: RunId;
  readonly prompt: string;
  readonly elapsedSeconds: number;
}

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'generate'; readonly runId: RunId; readonly prompt: string; readonly options: ImageOptions }
  | { readonly type: 'cancel'; readonly runId: RunId }
  | ({ readonly type: ImageCommand } & ImageRef)
  | { readonly type: 'errorAction'; readonly action: ErrorAction }
  /**
   * The alert's Try Again (issue #11): send the request of failed run `runId` once more, as run
   * `newRunId`. The host re-sends what it sent then; the webview chooses nothing but the new id.
   */
  | { readonly type: 'tryAgain'; readonly runId: RunId; readonly newRunId: RunId }
  /** Keep (issue #13): toggles whether image `index` of generation `id` is kept. */
  | ({ readonly type: 'keep' } & ImageRef)
  /** Moves the images of generation `id` that are not kept to the trash (the host asks first). */
  | { readonly type: 'discardOthers'; readonly id: string }
  /** Opens the parent image of edit `id` (one without a card of its own). */
  | { readonly type: 'openParent'; readonly id: string }
  /** Studio edit mode (issue #13): src/shared/editProtocol.ts. */
  | EditFromWebview;

export type FromWebviewType = FromWebview['type'];

/** Each message type once: a type added to FromWebview and not here (or listed here and not there) does not compile. */
const fromWebviewTypeSet: { readonly [K in FromWebviewType]: true } = {
  ready: true, generate: true, cancel: true, insert: true, open: true, reveal: true, copyLink: true, errorAction: true, tryAgain: true,
  keep: true, discardOthers: true, openParent: true, describeImage: true, pickReferences: true, reuseEdit: true, edit: true,
};

/** Every message type the webview may send (the host has a handler for each: src/studio/panelMessages.ts). */
export const fromWebviewTypes = Object.keys(fromWebviewTypeSet) as readonly FromWebviewType[];

/**
 * How a run or an action ended. A hidden webview drops messages, so the host keeps these while the
 * panel is hidden (or not yet ready) and replays them in `init` (see `missed`).
 */
export type OutcomeMessage =
  | { readonly type: 'result'; readonly runId: RunId; readonly entry: GalleryEntry; readonly message: string }
  /** The run ended without images and without an error (cancelled, save dialog dismissed, refused). */
  | { readonly type: 'stopped'; readonly runId: RunId; readonly message: string }
  /**
   * With `runId`: the error ended that run. Without: the error is about an action (e.g. Insert with no
   * editor) and any run goes on.
   */
  | { readonly type: 'error'; readonly runId?: RunId; readonly message: string; readonly actions: readonly ErrorAction[] }
  | { readonly type: 'status'; readonly message: string };

const outcomeTypes: readonly OutcomeMessage['type'][] = ['result', 'stopped', 'error', 'status'];

export type ToWebview =
  | {
      readonly type: 'init';
      readonly defaults: StudioDefaults;
      readonly hasKey: boolean;
      readonly entries: readonly GalleryEntry[];
      /** Generations in flight (the webview was hidden and reloaded meanwhile), oldest first. */
      readonly running: readonly RunningRun[];
      /** Outcomes posted while the panel was hidden, which no webview received, oldest first. */
      readonly missed: readonly OutcomeMessage[];
    }
  | { readonly type: 'defaults'; readonly defaults: StudioDefaults }
  | { readonly type: 'hasKey'; readonly hasKey: boolean }
  | { readonly type: 'started'; readonly runId: RunId; readonly prompt: string }
  | { readonly type: 'progress'; readonly runId: RunId; readonly elapsedSeconds: number }
  /**
   * A streamed preview of image `imageIndex` of `count` (issue #14): `src` is the webview URI of a
   * temporary file (never image bytes over postMessage); it replaces that tile's placeholder.
   */
  | { readonly type: 'preview'; readonly runId: RunId; readonly imageIndex: number; readonly count: number; readonly src: string }
  /**
   * A generation another surface started (the palette) streams into this page's preview tiles: the
   * page adopts `runId` for its previews only (it never becomes the page's running state).
   */
  | { readonly type: 'watch'; readonly runId: RunId; readonly prompt: string; readonly count: number; readonly size: string }
  /** The watched generation ended: its tiles go (or stay with a note when `failed`). */
  | { readonly type: 'previewEnd'; readonly runId: RunId; readonly failed: boolean }
  | OutcomeMessage
  | { readonly type: 'entries'; readonly entries: readonly GalleryEntry[] }
  | EditToWebview;

export function isOutcome(message: ToWebview): message is OutcomeMessage {
  return isOneOf(message.type, outcomeTypes);
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

export function isRunId(value: unknown): value is RunId {
  return typeof value === 'string' && value.length <= maxRunIdLength && /^[A-Za-z0-9_-]+$/.test(value);
}

/** The run a host message is about; undefined for messages about no run (gallery, settings, actions). */
export function runIdOf(message: ToWebview): RunId | undefined {
  switch (message.type) {
    case 'started':
    case 'progress':
    case 'preview':
    case 'previewEnd':
    case 'result':
    case 'stopped':
    case 'error':
      return message.runId;
    default:
      return undefined;
  }
}

/** Strict: exactly the fields of {@link ImageOptions}, each a value the form can send. */
export function isImageOptions(value: unknown): value is ImageOptions {
  return (
    isRecord(value) &&
    hasExactKeys(value, imageOptionFields) &&
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
      return hasExactKeys(raw, ['type']);
    case 'cancel':
      return hasExactKeys(raw, ['type', 'runId']) && isRunId(raw.runId);
    case 'generate':
      return (
        hasExactKeys(raw, ['type', 'runId', 'prompt', 'options']) &&
        isRunId(raw.runId) &&
        isPrompt(raw.prompt) &&
        isImageOptions(raw.options)
      );
    case 'discardOthers':
    case 'openParent':
      return hasExactKeys(raw, ['type', 'id']) && isEntryId(raw.id);
    case 'keep':
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
    case 'tryAgain':
      return hasExactKeys(raw, ['type', 'runId', 'newRunId']) && isRunId(raw.runId) && isRunId(raw.newRunId) && raw.runId !== raw.newRunId;
    default:
      return isEditMessage(raw, { isId: isEntryId, isRunId, isPrompt, isOptions: isImageOptions, maxIndex: maxCount });
  }
}
