/**
 * The mask's raster (issue #13), DOM-free and shared by the webview (on-screen tint) and the host (the
 * mask PNG at the image's exact size). A stroke covers every pixel whose center lies within `radius` of
 * its polyline (round caps and joins); 1 = painted, 0 = kept.
 *
 * Cost is bounded, because the operations come from an untrusted webview: each segment (a capsule) is
 * filled by spans — per row, the x-interval of the capsule is computed and filled with
 * `TypedArray.fill` — so the work is the clamped bounding boxes' area, and {@link maskWork} refuses more
 * than {@link maxWorkFactor}×W×H of it before starting. Invert is a parity flag (O(1) per invert, one final
 * pass), not a walk over every pixel. {@link rasterizeMaskAsync} does the same work in chunks, awaiting
 * a pause (setImmediate on the host) and checking an AbortSignal between chunks, so the host stays
 * responsive and a Cancel is honoured.
 */
import { effectiveOps, type MaskOp, type MaskStroke } from './maskModel';

/** Bounding-box area allowed over all segments, as a multiple of the raster's area (≈ 20·length·radius per stroke). */
export const maxWorkFactor = 64;
/** Work (pixels of bounding boxes) between two pauses of the asynchronous raster. */
export const workPerChunk = 1 << 22;

/** Thrown when the operations would take more than the budget; the message says what to do. */
export class MaskTooComplexError extends Error {
  override readonly name = 'MaskTooComplexError';
}

/** The total clamped bounding-box area of all segments of the effective strokes (what rasterizing costs). */
export function maskWork(ops: readonly MaskOp[], width: number, height: number, scale = 1): number {
  let work = 0;
  for (const op of effectiveOps(ops)) {
    if (op.kind !== 'stroke') continue;
    forEachSegment(op, scale, (ax, ay, bx, by, r) => {
      work += boxArea(width, height, ax, ay, bx, by, r) + 1;
    });
  }
  return work;
}

/** Whether rasterizing `ops` stays within the budget (the brush checks a stroke at the image's size before keeping it). */
export function fitsWorkBudget(ops: readonly MaskOp[], width: number, height: number, scale = 1, work = maskWork(ops, width, height, scale)): boolean {
  return work <= maxWorkFactor * width * height + 1e6;
}

/** The coverage raster of `ops` at `width`×`height`, scaled by `scale` (image pixels → raster pixels). */
export function rasterizeMask(ops: readonly MaskOp[], width: number, height: number, scale = 1): Uint8Array {
  const steps = rasterSteps(ops, width, height, scale);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** As {@link rasterizeMask}, awaiting `pause()` between chunks of work and stopping when `signal` aborts. */
export async function rasterizeMaskAsync(
  ops: readonly MaskOp[],
  width: number,
  height: number,
  options: { readonly pause: () => Promise<void>; readonly signal?: AbortSignal },
): Promise<Uint8Array> {
  const steps = rasterSteps(ops, width, height, 1);
  for (;;) {
    options.signal?.throwIfAborted();
    const step = steps.next();
    if (step.done) return step.value;
    await options.pause();
  }
}

function* rasterSteps(ops: readonly MaskOp[], width: number, height: number, scale: number): Generator<void, Uint8Array> {
  const work = maskWork(ops, width, height, scale);
  if (!fitsWorkBudget(ops, width, height, scale, work)) {
    throw new MaskTooComplexError(
      `The mask has too much painting to draw (${Math.round(work / (width * height))}× the image's area in brush strokes, at most ${maxWorkFactor}×): Clear it and paint fewer or shorter strokes, or use a smaller brush.`,
    );
  }
  const cover = new Uint8Array(width * height);
  let flip = 0;
  let done = 0;
  for (const op of effectiveOps(ops)) {
    if (op.kind === 'invert') {
      flip ^= 1;
      continue;
    }
    if (op.kind !== 'stroke') continue;
    // Stored value XOR flip is the pixel's value, so a stroke stores its value XOR the current flip.
    const value = (op.erase ? 0 : 1) ^ flip;
    const segments: [number, number, number, number, number][] = [];
    forEachSegment(op, scale, (ax, ay, bx, by, r) => segments.push([ax, ay, bx, by, r]));
    for (const [ax, ay, bx, by, r] of segments) {
      fillCapsule(cover, width, height, ax, ay, bx, by, r, value);
      done += boxArea(width, height, ax, ay, bx, by, r) + 1;
      if (done >= workPerChunk) {
        done = 0;
        yield;
      }
    }
  }
  if (flip) for (let i = 0; i < cover.length; i++) cover[i]! ^= 1;
  return cover;
}

function forEachSegment(stroke: MaskStroke, scale: number, visit: (ax: number, ay: number, bx: number, by: number, r: number) => void): void {
  const p = stroke.points;
  const r = stroke.radius * scale;
  if (p.length < 2) return; // no point (MaskModel and the parser refuse such strokes)
  // A single point is a segment of length 0: a dot. With two or more numbers, i + 1 and j + 1 ≤ p.length − 1.
  const last = p.length - 2;
  for (let i = 0; i <= Math.max(0, last - 2); i += 2) {
    const j = Math.min(i + 2, last);
    visit(p[i]! * scale, p[i + 1]! * scale, p[j]! * scale, p[j + 1]! * scale, r);
  }
}

function boxArea(width: number, height: number, ax: number, ay: number, bx: number, by: number, r: number): number {
  const w = Math.min(width, Math.ceil(Math.max(ax, bx) + r) + 1) - Math.max(0, Math.floor(Math.min(ax, bx) - r));
  const h = Math.min(height, Math.ceil(Math.max(ay, by) + r) + 1) - Math.max(0, Math.floor(Math.min(ay, by) - r));
  return Math.max(0, w) * Math.max(0, h);
}

/** Fills the pixels whose centers are within r of segment a–b, one x-interval per row. */
function fillCapsule(cover: Uint8Array, width: number, height: number, ax: number, ay: number, bx: number, by: number, r: number, value: number): void {
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + r));
  const dx = bx - ax;
  const dy = by - ay;
  const length = Math.hypot(dx, dy);
  // The band's corners: a ± r·n, b ± r·n (n the unit normal); empty for a dot.
  const nx = length > 0 ? (-dy / length) * r : 0;
  const ny = length > 0 ? (dx / length) * r : 0;
  const quad = length > 0 ? [ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny] : undefined;
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    let low = Infinity;
    let high = -Infinity;
    for (const [cx, ccy] of [
      [ax, ay],
      [bx, by],
    ] as const) {
      const h2 = r2 - (cy - ccy) * (cy - ccy);
      if (h2 < 0) continue;
      const half = Math.sqrt(h2);
      low = Math.min(low, cx - half);
      high = Math.max(high, cx + half);
    }
    if (quad) {
      for (let k = 0; k < 8; k += 2) {
        // quad holds eight numbers; every index here is below 8.
        const px = quad[k]!;
        const py = quad[k + 1]!;
        const qx = quad[(k + 2) % 8]!;
        const qy = quad[(k + 3) % 8]!;
        if ((cy < py && cy < qy) || (cy > py && cy > qy)) continue;
        if (py === qy) {
          low = Math.min(low, px, qx);
          high = Math.max(high, px, qx);
        } else {
          const x = px + ((cy - py) / (qy - py)) * (qx - px);
          low = Math.min(low, x);
          high = Math.max(high, x);
        }
      }
    }
    if (low > high) continue;
    // Pixel x has its center at x + 0.5: covered when low ≤ x + 0.5 ≤ high.
    const from = Math.max(0, Math.ceil(low - 0.5));
    const to = Math.min(width - 1, Math.floor(high - 0.5));
    if (from <= to) cover.fill(value, y * width + from, y * width + to + 1);
  }
}
