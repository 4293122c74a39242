/**
 * What the Studio's edit mode keeps in the webview state (vscodeApi setState), so that hiding and
 * showing the panel (the page is reloaded: no retainContextWhenHidden) or reloading the window brings
 * it back: the images picked, in order (the first is edited), and the mask as its brush operations —
 * never pixels. The prompt is kept with the composer's draft. The state is read back through
 * {@link parseSavedEdit}: anything malformed or out of bounds is dropped, not trusted.
 */
import { isEditImageRef, maxEditSources, sameRef, type EditImageInfo } from './editProtocol';
import { isRecord } from './guards';
import { isMaskPaint, maskLimits, type MaskPaint } from './maskModel';
import { isEntryId } from './protocol';
import { maxCount } from './options';

export interface SavedEdit {
  /** 1–16 distinct images; the first is edited. */
  readonly images: readonly EditImageInfo[];
  /** The operations in effect for the first image, at its size. */
  readonly mask?: MaskPaint;
}

/** At most this many characters of JSON for the mask in the state; a bigger mask is not kept (the images are). */
export const maxSavedMaskChars = 256 * 1024;
const maxLabelLength = 1024;
const maxSrcLength = 4096;
const srcSchemes = new Set(['https:', 'http:', 'vscode-resource:', 'vscode-webview-resource:']);

/** The state to save for edit mode; `maskDropped` when the mask was over {@link maxSavedMaskChars}. */
export function savedEditOf(images: readonly EditImageInfo[], mask: MaskPaint | undefined): { readonly edit?: SavedEdit; readonly maskDropped: boolean } {
  if (images.length === 0) return { maskDropped: false };
  const kept = images.slice(0, maxEditSources).map(copyImage);
  if (!mask) return { edit: { images: kept }, maskDropped: false };
  const fits = JSON.stringify(mask).length <= maxSavedMaskChars;
  return { edit: fits ? { images: kept, mask } : { images: kept }, maskDropped: !fits };
}

/** The edit mode a saved state holds, or undefined when it holds none or is not valid. */
export function parseSavedEdit(value: unknown): SavedEdit | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['images', 'mask'])) return undefined;
  const images = value.images;
  if (!Array.isArray(images) || images.length < 1 || images.length > maxEditSources) return undefined;
  const parsed: EditImageInfo[] = [];
  for (const image of images as unknown[]) {
    const info = parseImage(image);
    if (!info || parsed.some((other) => sameRef(other.ref, info.ref))) return undefined;
    parsed.push(info);
  }
  if (value.mask === undefined) return { images: parsed };
  const mask = value.mask;
  // A mask belongs to the image it was painted on, at that image's size; one that does not fit is dropped.
  if (!isMaskPaint(mask) || mask.width !== parsed[0]?.width || mask.height !== parsed[0]?.height || JSON.stringify(mask).length > maxSavedMaskChars) {
    return { images: parsed };
  }
  return { images: parsed, mask };
}

/** The saved edit without the gallery images whose entries are gone; undefined when none is left. The mask goes with its image. */
export function withoutMissing(edit: SavedEdit, hasEntry: (id: string) => boolean): SavedEdit | undefined {
  const images = edit.images.filter((image) => image.ref.kind !== 'gallery' || hasEntry(image.ref.id));
  const [kept] = images;
  if (kept === undefined) return undefined;
  const firstKept = sameRef(kept.ref, edit.images[0]!.ref); // kept is one of edit.images
  return { images, ...(firstKept && edit.mask && { mask: edit.mask }) };
}

function parseImage(value: unknown): EditImageInfo | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['ref', 'label', 'width', 'height', 'src'])) return undefined;
  const { ref, label, width, height, src } = value;
  if (!isEditImageRef(ref, isEntryId, maxCount)) return undefined;
  if (typeof label !== 'string' || label.length === 0 || label.length > maxLabelLength || /\p{Cc}/u.test(label)) return undefined;
  if (!isSide(width) || !isSide(height)) return undefined;
  if (src !== undefined && !isSrc(src)) return undefined;
  return copyImage({ ref, label, width, height, ...(src !== undefined && { src }) });
}

function copyImage(image: EditImageInfo): EditImageInfo {
  const ref = image.ref.kind === 'gallery' ? { kind: 'gallery' as const, id: image.ref.id, index: image.ref.index } : { kind: 'picked' as const, token: image.ref.token };
  return { ref, label: image.label, width: image.width, height: image.height, ...(image.src !== undefined && { src: image.src }) };
}

function isSide(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maskLimits.maxSide;
}

function isSrc(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > maxSrcLength || /\p{Cc}/u.test(value)) return false;
  try {
    return srcSchemes.has(new URL(value).protocol);
  } catch {
    return false;
  }
}

function onlyKeys(value: Readonly<Record<string, unknown>>, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}
