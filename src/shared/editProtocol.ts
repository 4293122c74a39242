/**
 * The Studio edit mode's messages (issue #13), part of the protocol of src/shared/protocol.ts.
 *
 * Security: as everywhere in the protocol, the webview never names a path. A gallery image is its
 * entry id + index; a workspace file the user picked in the host's file dialog is a token the host
 * made for that panel. The mask is sent as the brush's operations (src/shared/maskModel.ts), bounded in
 * count and size; the host rasterizes them at the source image's real size and encodes the PNG.
 */
import { isMaskPaint, type MaskPaint } from './maskModel';
import type { ImageOptions } from './options';
import { hasExactKeys, isRecord, type Fields } from './guards';

/** Images of one edit: the first is edited (the mask applies to it), the others are references. */
export const maxEditSources = 16;
export const maxPickTokenLength = 64;

/** An image the webview can name: a gallery card's image, or a file picked through the host. */
export type EditImageRef =
  | { readonly kind: 'gallery'; readonly id: string; readonly index: number }
  | { readonly kind: 'picked'; readonly token: string };

/** An image of the edit mode as the host describes it. */
export interface EditImageInfo {
  readonly ref: EditImageRef;
  /** Webview URI, when the file lies under the panel's resource roots. */
  readonly src?: string;
  /** Workspace-relative path. */
  readonly label: string;
  /** Natural pixel size, read by the host from the file's header (the mask is made at this size). */
  readonly width: number;
  readonly height: number;
}

/** What an image is described for: the image to edit (opens edit mode) or a reference to add. */
export type EditPurpose = 'source' | 'reference';

export type EditFromWebview =
  /** Describe a gallery image for edit mode (Edit, Use as Reference). */
  | { readonly type: 'describeImage'; readonly purpose: EditPurpose; readonly id: string; readonly index: number }
  /** Open the host's file picker for reference images of the workspace. */
  | { readonly type: 'pickReferences' }
  /** Reuse Prompt on an edit's card: reopen edit mode with the images that edit was made from. */
  | { readonly type: 'reuseEdit'; readonly id: string }
  | {
      readonly type: 'edit';
      readonly runId: string;
      readonly prompt: string;
      readonly options: ImageOptions;
      readonly images: readonly EditImageRef[];
      readonly mask?: MaskPaint;
    };

export type EditToWebview =
  | { readonly type: 'editImage'; readonly purpose: EditPurpose; readonly image: EditImageInfo }
  /** The answer to `reuseEdit`: the parents of entry `id` that still exist, in order (the first was edited), and how many are gone. */
  | { readonly type: 'editReused'; readonly id: string; readonly images: readonly EditImageInfo[]; readonly missing: number };

export function isImageIndex(value: unknown, count: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < count;
}

export function isPickToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= maxPickTokenLength && /^[A-Za-z0-9_-]+$/.test(value);
}

export function isEditImageRef(value: unknown, isId: (id: unknown) => boolean, maxIndex: number): value is EditImageRef {
  if (!isRecord(value)) return false;
  if (value.kind === 'gallery') return hasExactKeys(value, ['kind', 'id', 'index']) && isId(value.id) && isImageIndex(value.index, maxIndex);
  if (value.kind === 'picked') return hasExactKeys(value, ['kind', 'token']) && isPickToken(value.token);
  return false;
}

/** The same image named twice (the host would upload it twice). */
export function sameRef(a: EditImageRef, b: EditImageRef): boolean {
  if (a.kind === 'gallery' && b.kind === 'gallery') return a.id === b.id && a.index === b.index;
  if (a.kind === 'picked' && b.kind === 'picked') return a.token === b.token;
  return false;
}

/**
 * The edit-mode messages' validator, called by isFromWebview with its field checks. Unknown types
 * and keys are refused; 1–16 distinct images; the mask as isMaskPaint bounds it.
 */
export function isEditMessage(
  raw: Fields,
  checks: {
    readonly isId: (value: unknown) => boolean;
    readonly isRunId: (value: unknown) => boolean;
    readonly isPrompt: (value: unknown) => boolean;
    readonly isOptions: (value: unknown) => boolean;
    readonly maxIndex: number;
  },
): boolean {
  switch (raw.type) {
    case 'describeImage':
      return (
        hasExactKeys(raw, ['type', 'purpose', 'id', 'index']) &&
        (raw.purpose === 'source' || raw.purpose === 'reference') &&
        checks.isId(raw.id) &&
        isImageIndex(raw.index, checks.maxIndex)
      );
    case 'pickReferences':
      return hasExactKeys(raw, ['type']);
    case 'reuseEdit':
      return hasExactKeys(raw, ['type', 'id']) && checks.isId(raw.id);
    case 'edit': {
      const keys = raw.mask === undefined ? ['type', 'runId', 'prompt', 'options', 'images'] : ['type', 'runId', 'prompt', 'options', 'images', 'mask'];
      if (!hasExactKeys(raw, keys) || !checks.isRunId(raw.runId) || !checks.isPrompt(raw.prompt) || !checks.isOptions(raw.options)) return false;
      const images = raw.images;
      if (!Array.isArray(images) || images.length < 1 || images.length > maxEditSources) return false;
      // Array.from: every/some skip the holes of a sparse array, which would then pass unchecked.
      const refs = Array.from(images as unknown[]);
      if (!refs.every((ref) => isEditImageRef(ref, checks.isId, checks.maxIndex))) return false;
      const typed = refs as EditImageRef[];
      if (typed.some((ref, i) => typed.findIndex((other) => sameRef(ref, other)) !== i)) return false;
      return raw.mask === undefined || isMaskPaint(raw.mask);
    }
    default:
      return false;
  }
}
