import * as assert from 'node:assert/strict';
import {
  effectiveOps,
  isMaskPaint,
  MaskHistory,
  maskLimits,
  maskRgba,
  paintedCount,
  rasterizeMask,
  toImagePoint,
  toImageRadius,
  undoSteps,
  type MaskOp,
} from '../../src/shared/maskModel';

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
