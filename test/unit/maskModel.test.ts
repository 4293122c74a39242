import * as assert from 'node:assert/strict';
import {
  effectiveOps,
  isMaskPaint,
  MaskHistory,
  maskLimits,
  maskRgba,
  paintedCount,
  
  toImagePoint,
  toImageRadius,
  undoSteps,
  type MaskOp,
} from '../../src/shared/maskModel';
import { maskWork, maxWorkFactor, rasterizeMask, rasterizeMaskAsync } from '../../src/shared/maskRaster';

const dot = (x: number, y: number, radius: number, erase = false): MaskOp => ({ kind: 'stroke', erase, radius, points: [x, y] });

suite('maskModel: display → image pixels', () => {
  test('scales by natural / displayed size on each axis', () => {
    assert.deepEqual(toImagePoint(100, 50, { width: 400, height: 200 }, { width: 1536, height: 1024 }), [384, 256]);
    assert.deepEqual(toImagePoint(400, 200, { width: 400, height: 200 }, { width: 1536, height: 1024 }), [1536, 1024]);
  });
  test('clamps points outside the image (a stroke dragged past the edge)', () => {
    assert.deepEqual(toImagePoint(-10, 900, { width: 100, height: 100 }, { width: 50, height: 80 }), [0, 80]);
  });
  test('a displayed brush radius becomes image pixels, at least 1', () => {
    assert.equal(toImageRadius(20, 512, 1024), 40);
    assert.equal(toImageRadius(0.1, 1024, 256), 1);
    assert.equal(toImageRadius(5000, 10, 8000), maskLimits.maxRadius);
  });
});

suite('maskModel: raster', () => {
  test('a dot covers the pixels whose centers are within the radius', () => {
    const cover = rasterizeMask([dot(5, 5, 2)], 10, 10);
    // Centers (x+0.5, y+0.5) within 2 of (5,5): 12 pixels (a 4x4 block minus its corners).
    assert.equal(paintedCount(cover), 12);
    assert.equal(cover[5 * 10 + 5], 1);
    assert.equal(cover[0], 0);
  });
  test('a stroke covers its whole polyline with round caps', () => {
    const cover = rasterizeMask([{ kind: 'stroke', erase: false, radius: 1, points: [1, 5, 9, 5, 9, 9] }], 10, 10);
    for (let x = 1; x < 9; x++) assert.equal(cover[4 * 10 + x], 1, `row 4, x ${x}`);
    for (let y = 5; y < 9; y++) assert.equal(cover[y * 10 + 8], 1, `column 8, y ${y}`);
    assert.equal(cover[0 * 10 + 0], 0);
  });
  test('the eraser takes paint away; invert swaps; clear wipes what came before', () => {
    const painted: MaskOp[] = [{ kind: 'stroke', erase: false, radius: 50, points: [5, 5] }];
    assert.equal(paintedCount(rasterizeMask(painted, 10, 10)), 100);
    const erased = [...painted, dot(5, 5, 2, true)];
    assert.equal(paintedCount(rasterizeMask(erased, 10, 10)), 88);
    assert.equal(paintedCount(rasterizeMask([...erased, { kind: 'invert' }], 10, 10)), 12);
    assert.equal(paintedCount(rasterizeMask([...erased, { kind: 'clear' }], 10, 10)), 0);
    assert.deepEqual(effectiveOps([...erased, { kind: 'clear' }, { kind: 'invert' }]), [{ kind: 'invert' }]);
  });
  test('a scaled raster (the on-screen canvas) agrees with the full one', () => {
    const ops: MaskOp[] = [{ kind: 'stroke', erase: false, radius: 40, points: [100, 100, 300, 100] }];
    const full = rasterizeMask(ops, 400, 200);
    const half = rasterizeMask(ops, 200, 100, 0.5);
    assert.equal(full[100 * 400 + 200], 1);
    assert.equal(half[50 * 200 + 100], 1);
    assert.ok(Math.abs(paintedCount(full) / 4 - paintedCount(half)) < paintedCount(half) * 0.05);
  });
  test('the mask pixels: alpha 0 where painted, 255 elsewhere, at the exact size', () => {
    const cover = rasterizeMask([dot(0.5, 0.5, 0.5)], 3, 2);
    const rgba = maskRgba(cover);
    assert.equal(rgba.length, 3 * 2 * 4);
    assert.deepEqual([...rgba].filter((_, i) => i % 4 === 3), [0, 255, 255, 255, 255, 255]);
  });
});

suite('maskModel: undo / redo', () => {
  test('undo and redo step through at least 20 operations', () => {
    const history = new MaskHistory();
    for (let i = 0; i < 25; i++) assert.ok(history.push(dot(i, i, 1)));
    for (let i = 0; i < 25; i++) assert.ok(history.undo(), `undo ${i + 1}`);
    assert.equal(history.undo(), false);
    assert.equal(history.isEmpty(), true);
    for (let i = 0; i < 25; i++) assert.ok(history.redo());
    assert.equal(history.redo(), false);
    assert.equal(history.current().length, 25);
  });
  test('a new operation drops redo; undo stops at the configured depth', () => {
    const history = new MaskHistory(3);
    for (let i = 0; i < 5; i++) history.push(dot(i, i, 1));
    let undone = 0;
    while (history.undo()) undone++;
    assert.equal(undone, 3);
    assert.equal(history.current().length, 2);
    history.push({ kind: 'invert' });
    assert.equal(history.canRedo(), false);
    assert.ok(undoSteps >= 20);
  });
  test('clear is an undoable step; a clear of nothing and an empty stroke are not recorded', () => {
    const history = new MaskHistory();
    assert.equal(history.push({ kind: 'clear' }), false);
    assert.equal(history.push({ kind: 'stroke', erase: false, radius: 3, points: [] }), false);
    history.push(dot(1, 1, 1));
    assert.ok(history.push({ kind: 'clear' }));
    assert.equal(history.isEmpty(), true);
    history.undo();
    assert.equal(history.isEmpty(), false);
  });
  test('refuses operations past the message limits', () => {
    const history = new MaskHistory();
    const long: MaskOp = { kind: 'stroke', erase: false, radius: 1, points: new Array(maskLimits.maxCoordinates).fill(1) };
    assert.ok(history.push(long));
    assert.equal(history.push(dot(1, 1, 1)), false);
  });
});

suite('maskModel: isMaskPaint (the host checks what the webview sends)', () => {
  const ok = { width: 64, height: 32, ops: [{ kind: 'stroke', erase: false, radius: 4, points: [1, 2, 64, 32] }, { kind: 'invert' }] };
  test('accepts a bounded paint, also after a JSON round trip', () => {
    assert.equal(isMaskPaint(ok), true);
    assert.equal(isMaskPaint(JSON.parse(JSON.stringify(ok))), true);
  });
  const bad: [string, unknown][] = [
    ['no ops', { ...ok, ops: [] }],
    ['zero width', { ...ok, width: 0 }],
    ['fractional height', { ...ok, height: 3.5 }],
    ['huge side', { ...ok, width: maskLimits.maxSide + 1 }],
    ['extra key', { ...ok, png: 'AAAA' }],
    ['unknown op', { ...ok, ops: [{ kind: 'fill' }] }],
    ['invert with extra key', { ...ok, ops: [{ kind: 'invert', x: 1 }] }],
    ['point outside the image', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 4, points: [65, 2] }] }],
    ['negative coordinate', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 4, points: [-1, 2] }] }],
    ['odd coordinate count', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 4, points: [1, 2, 3] }] }],
    ['NaN coordinate (not JSON, but a structured clone carries it)', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 4, points: [NaN, 2] }] }],
    ['string coordinate', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 4, points: ['1', 2] }] }],
    ['radius 0', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 0, points: [1, 2] }] }],
    ['radius too big', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: maskLimits.maxRadius + 1, points: [1, 2] }] }],
    ['erase not boolean', { ...ok, ops: [{ kind: 'stroke', erase: 1, radius: 4, points: [1, 2] }] }],
    ['too many ops', { ...ok, ops: new Array(maskLimits.maxOps + 1).fill({ kind: 'invert' }) }],
    ['too many coordinates', { ...ok, ops: [{ kind: 'stroke', erase: false, radius: 1, points: new Array(maskLimits.maxCoordinates + 2).fill(1) }] }],
    ['an array', [ok]],
    ['null', null],
  ];
  for (const [name, value] of bad) test(`refuses ${name}`, () => assert.equal(isMaskPaint(value), false));
});

/** The definition, pixel by pixel: centers within r of a segment (the old rasterizer, for exactness). */
function reference(ops: readonly MaskOp[], width: number, height: number): Uint8Array {
  const cover = new Uint8Array(width * height);
  for (const op of effectiveOps(ops)) {
    if (op.kind === 'invert') for (let i = 0; i < cover.length; i++) cover[i] ^= 1;
    if (op.kind !== 'stroke') continue;
    const p = op.points;
    const last = p.length - 2;
    for (let i = 0; i <= Math.max(0, last - 2); i += 2) {
      const j = Math.min(i + 2, last);
      const [ax, ay, bx, by] = [p[i], p[i + 1], p[j], p[j + 1]];
      const [dx, dy] = [bx - ax, by - ay];
      const length2 = dx * dx + dy * dy;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const [cx, cy] = [x + 0.5, y + 0.5];
          const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((cx - ax) * dx + (cy - ay) * dy) / length2));
          const [ex, ey] = [cx - (ax + t * dx), cy - (ay + t * dy)];
          if (ex * ex + ey * ey <= op.radius * op.radius + 1e-9) cover[y * width + x] = op.erase ? 0 : 1;
        }
      }
    }
  }
  return cover;
}

suite('maskRaster: spans, bounded work, parity invert (hostile review H1, H2)', () => {
  test('span fill agrees with the pixel-by-pixel definition on random strokes, erasers and inverts', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 40; round++) {
      const [width, height] = [8 + Math.floor(random() * 40), 8 + Math.floor(random() * 40)];
      const ops: MaskOp[] = [];
      for (let k = 0; k < 6; k++) {
        if (random() < 0.15) {
          ops.push({ kind: 'invert' });
          continue;
        }
        const points: number[] = [];
        const count = 1 + Math.floor(random() * 5);
        for (let i = 0; i < count; i++) points.push(Math.round(random() * width * 4) / 4, Math.round(random() * height * 4) / 4);
        ops.push({ kind: 'stroke', erase: random() < 0.3, radius: 1 + Math.floor(random() * 12), points });
      }
      const expected = reference(ops, width, height);
      const actual = rasterizeMask(ops, width, height);
      let differing = 0;
      for (let i = 0; i < expected.length; i++) if (expected[i] !== actual[i]) differing++;
      // Only pixels exactly on a stroke's edge may round the other way.
      assert.ok(differing <= 2, `round ${round}: ${differing} pixels differ of ${expected.length}`);
    }
  });
  test('a maximal forged message (100 000 points of radius 1000 at 3840x2160) is refused before any pixel is drawn', () => {
    const points: number[] = [];
    for (let i = 0; i < maskLimits.maxCoordinates / 2; i++) points.push((i * 37) % 3840, (i * 53) % 2160);
    const ops: MaskOp[] = [{ kind: 'stroke', erase: false, radius: maskLimits.maxRadius, points }];
    assert.ok(isMaskPaint({ width: 3840, height: 2160, ops }), 'the message passes the structural check');
    assert.ok(maskWork(ops, 3840, 2160) > maxWorkFactor * 3840 * 2160);
    assert.throws(() => rasterizeMask(ops, 3840, 2160), (error: Error) => error.name === 'MaskTooComplexError' && /Clear it and paint fewer/.test(error.message));
  });
  test('2000 inverts at 3840x2160 cost one pass (parity), and strokes between them land right', () => {
    const ops: MaskOp[] = new Array(maskLimits.maxOps - 1).fill({ kind: 'invert' });
    ops.push({ kind: 'stroke', erase: true, radius: 10, points: [100, 100] });
    // 1999 inverts: everything painted except the erased dot.
    const cover = rasterizeMask(ops, 3840, 2160);
    assert.equal(cover[0], 1);
    assert.equal(cover[100 * 3840 + 100], 0);
    assert.equal(paintedCount(cover), 3840 * 2160 - paintedCount(rasterizeMask([{ kind: 'stroke', erase: false, radius: 10, points: [100, 100] }], 3840, 2160)));
  });
  test('a heavy but allowed mask (200 px brush scribbled over 3840x2160) rasterizes in chunks, pausing between them', async () => {
    const points: number[] = [];
    for (let i = 0; i < 300; i++) points.push((i * 160) % 3840, (Math.floor(i / 24) * 170) % 2160);
    const ops: MaskOp[] = [{ kind: 'stroke', erase: false, radius: 640, points }];
    assert.ok(maskWork(ops, 3840, 2160) <= maxWorkFactor * 3840 * 2160);
    let pauses = 0;
    const cover = await rasterizeMaskAsync(ops, 3840, 2160, { pause: async () => void pauses++ });
    assert.ok(pauses > 1, `paused ${pauses} times`);
    assert.deepEqual(cover, rasterizeMask(ops, 3840, 2160));
  });
  test('the asynchronous raster stops when its run is cancelled between chunks', async () => {
    const ops: MaskOp[] = [{ kind: 'stroke', erase: false, radius: 640, points: new Array(600).fill(0).map((_, i) => (i % 2 ? 1000 : (i * 13) % 3840)) }];
    const controller = new AbortController();
    let pauses = 0;
    const pause = async () => {
      if (++pauses === 2) controller.abort();
    };
    await assert.rejects(rasterizeMaskAsync(ops, 3840, 2160, { pause, signal: controller.signal }), (error: Error) => error.name === 'AbortError');
    assert.equal(pauses, 2);
  });
});
