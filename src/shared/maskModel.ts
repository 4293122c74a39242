/**
 * The Studio's mask brush, DOM-free (issue #13): the operations a user paints, the undo stack, the
 * mapping from displayed to image pixels, and the raster of the mask. The webview draws from it; the
 * host rasterizes the same operations at the source image's exact pixel size and encodes the PNG, so
 * what is sent is what was shown, and only small, checkable numbers cross postMessage (never pixels).
 *
 * Coordinates are image pixels of the image edited (x right, y down, pixel centers at +0.5). A stroke
 * covers every pixel whose center lies within `radius` of its polyline (round caps and joins). In the
 * raster, 1 = painted (the area to change, alpha 0 in the mask PNG), 0 = kept (opaque).
 */

/** A brush or eraser stroke: points as [x0, y0, x1, y1, …] in image pixels. */
export interface MaskStroke {
  readonly kind: 'stroke';
  readonly erase: boolean;
  readonly radius: number;
  readonly points: readonly number[];
}

export type MaskOp = MaskStroke | { readonly kind: 'invert' } | { readonly kind: 'clear' };

/** What the webview sends with an edit: the operations in effect, for an image of this size. */
export interface MaskPaint {
  readonly width: number;
  readonly height: number;
  readonly ops: readonly MaskOp[];
}

/** Bounds of a mask message (the host refuses anything bigger). */
export const maskLimits = {
  maxOps: 2000,
  /** Coordinates (2 per point) over all strokes. */
  maxCoordinates: 200_000,
  maxRadius: 1000,
  /** The images the API takes are at most 3840 on a side. */
  maxSide: 8192,
} as const;

export const minBrushRadius = 1;
/** At least this many steps can be undone (older ones are folded into the base). */
export const undoSteps = 50;

/** Displayed position (CSS pixels from the image's top-left) → image pixels, clamped to the image. */
export function toImagePoint(
  x: number,
  y: number,
  displayed: { readonly width: number; readonly height: number },
  natural: { readonly width: number; readonly height: number },
): [number, number] {
  const sx = displayed.width > 0 ? natural.width / displayed.width : 1;
  const sy = displayed.height > 0 ? natural.height / displayed.height : 1;
  return [clamp(x * sx, 0, natural.width), clamp(y * sy, 0, natural.height)];
}

/** A brush size in displayed pixels → a radius in image pixels (at least 1). */
export function toImageRadius(displayedRadius: number, displayedWidth: number, naturalWidth: number): number {
  const scale = displayedWidth > 0 ? naturalWidth / displayedWidth : 1;
  return clamp(Math.round(displayedRadius * scale), minBrushRadius, maskLimits.maxRadius);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * The brush's history: the operations in effect, plus redo. Undo beyond `undoSteps` is not offered;
 * those operations stay in effect (folded into the base list).
 */
export class MaskHistory {
  private ops: MaskOp[] = [];
  private redoStack: MaskOp[] = [];
  /** Operations before this index can no longer be undone. */
  private floor = 0;

  constructor(private readonly steps = undoSteps) {}

  /** Adds an operation (a finished stroke, invert, clear); redo is emptied. False when refused (limits). */
  push(op: MaskOp): boolean {
    if (op.kind === 'stroke' && op.points.length < 2) return false;
    if (op.kind === 'clear' && this.isEmpty()) return false;
    if (this.ops.length >= maskLimits.maxOps || this.coordinates() + (op.kind === 'stroke' ? op.points.length : 0) > maskLimits.maxCoordinates) {
      return false;
    }
    this.ops.push(op);
    this.redoStack = [];
    if (this.ops.length - this.floor > this.steps) this.floor = this.ops.length - this.steps;
    return true;
  }

  undo(): boolean {
    if (this.ops.length <= this.floor) return false;
    this.redoStack.push(this.ops.pop() as MaskOp);
    return true;
  }

  redo(): boolean {
    const op = this.redoStack.pop();
    if (!op) return false;
    this.ops.push(op);
    return true;
  }

  canUndo(): boolean {
    return this.ops.length > this.floor;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** The operations in effect, oldest first. */
  current(): readonly MaskOp[] {
    return this.ops;
  }

  /** Nothing painted that would change the mask: no stroke or invert since the last clear. */
  isEmpty(): boolean {
    return effectiveOps(this.ops).length === 0;
  }

  reset(): void {
    this.ops = [];
    this.redoStack = [];
    this.floor = 0;
  }

  private coordinates(): number {
    return this.ops.reduce((sum, op) => sum + (op.kind === 'stroke' ? op.points.length : 0), 0);
  }
}

/** The operations after the last clear (a clear wipes everything before it). */
export function effectiveOps(ops: readonly MaskOp[]): readonly MaskOp[] {
  let start = 0;
  ops.forEach((op, index) => {
    if (op.kind === 'clear') start = index + 1;
  });
  return ops.slice(start);
}

/** The mask's RGBA pixels: black, alpha 0 where painted (the area to change), opaque elsewhere. */
export function maskRgba(cover: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(cover.length * 4);
  for (let i = 0; i < cover.length; i++) rgba[i * 4 + 3] = cover[i] ? 0 : 255;
  return rgba;
}

/** Painted pixels in a raster. */
export function paintedCount(cover: Uint8Array): number {
  let count = 0;
  for (const value of cover) count += value;
  return count;
}

/** Checks a mask message from the untrusted webview: bounded sizes, counts and finite numbers. */
export function isMaskPaint(value: unknown): value is MaskPaint {
  if (!isObject(value) || !exactKeys(value, ['width', 'height', 'ops'])) return false;
  const { width, height, ops } = value;
  if (!isSide(width) || !isSide(height) || !Array.isArray(ops) || ops.length === 0 || ops.length > maskLimits.maxOps) return false;
  let coordinates = 0;
  for (const op of ops as unknown[]) {
    if (!isObject(op)) return false;
    if (op.kind === 'invert' || op.kind === 'clear') {
      if (!exactKeys(op, ['kind'])) return false;
      continue;
    }
    if (op.kind !== 'stroke' || !exactKeys(op, ['kind', 'erase', 'radius', 'points'])) return false;
    if (typeof op.erase !== 'boolean' || !isNumberIn(op.radius, minBrushRadius, maskLimits.maxRadius)) return false;
    const points = op.points;
    if (!Array.isArray(points) || points.length < 2 || points.length % 2 !== 0) return false;
    coordinates += points.length;
    if (coordinates > maskLimits.maxCoordinates) return false;
    for (let i = 0; i < points.length; i += 2) {
      if (!isNumberIn(points[i], 0, width as number) || !isNumberIn(points[i + 1], 0, height as number)) return false;
    }
  }
  return true;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(value: Readonly<Record<string, unknown>>, keys: readonly string[]): boolean {
  const actual = Object.keys(value);
  return actual.length === keys.length && keys.every((key) => Object.prototype.hasOwnProperty.call(value, key));
}

function isSide(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maskLimits.maxSide;
}

function isNumberIn(value: unknown, low: number, high: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= low && value <= high;
}
