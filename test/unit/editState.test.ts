import * as assert from 'node:assert/strict';
import type { EditImageInfo } from '../../src/shared/editProtocol';
import { maxSavedMaskChars, parseSavedEdit, savedEditOf, withoutMissing } from '../../src/shared/editState';
import { maskLimits, type MaskPaint } from '../../src/shared/maskModel';

const source: EditImageInfo = { ref: { kind: 'gallery', id: 'entry-1', index: 0 }, label: 'assets/hero.png', width: 96, height: 64, src: 'https://file+.vscode-resource.vscode-cdn.net/w/assets/hero.png' };
const reference: EditImageInfo = { ref: { kind: 'picked', token: 'pick-0123456789abcdef' }, label: 'docs/logo.webp', width: 32, height: 32 };
const mask: MaskPaint = { width: 96, height: 64, ops: [{ kind: 'stroke', erase: false, radius: 6, points: [10, 10, 40, 20.5] }, { kind: 'invert' }] };

/** Through JSON, as VS Code keeps the webview state. */
const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

suite('Studio edit mode in the webview state (hidden and shown again, window reload)', () => {
  test('the picked images in their order and the mask strokes come back through the state', () => {
    const { edit, maskDropped } = savedEditOf([source, reference], mask);
    assert.equal(maskDropped, false);
    assert.deepEqual(parseSavedEdit(roundTrip(edit)), { images: [source, reference], mask });
    // Reordered: the order is what is kept.
    assert.deepEqual(parseSavedEdit(roundTrip(savedEditOf([reference, source], undefined).edit))?.images, [reference, source]);
  });

  test('nothing is saved without images', () => {
    assert.equal(savedEditOf([], mask).edit, undefined);
  });

  test('a mask too big for the state is left out (the images stay) and said so', () => {
    const points: number[] = [];
    for (let i = 0; points.length < 60_000; i++) points.push(10 + (i % 70) + 0.123, 10 + (i % 50) + 0.456);
    const big: MaskPaint = { width: 96, height: 64, ops: [{ kind: 'stroke', erase: false, radius: 3, points }] };
    assert.ok(JSON.stringify(big).length > maxSavedMaskChars);
    const { edit, maskDropped } = savedEditOf([source], big);
    assert.equal(maskDropped, true);
    assert.deepEqual(edit, { images: [source] });
  });

  test('malformed or hostile states are refused, not trusted', () => {
    const good = roundTrip(savedEditOf([source, reference], mask).edit) as { images: Record<string, unknown>[]; mask: unknown };
    const variants: unknown[] = [
      undefined,
      null,
      'edit',
      [],
      { images: [] },
      { images: [source], extra: 1 },
      { images: Array.from({ length: 17 }, (_, i) => ({ ...source, ref: { kind: 'gallery', id: `e${i}`, index: 0 } })) },
      { images: [source, source] },
      { images: [{ ...source, ref: { kind: 'gallery', id: '../x', index: 0 } }] },
      { images: [{ ...source, ref: { kind: 'gallery', id: 'e', index: 99 } }] },
      { images: [{ ...source, ref: { kind: 'picked', token: 'a b' } }] },
      { images: [{ ...source, ref: { kind: 'file', path: '/etc/passwd' } }] },
      { images: [{ ...source, width: 0 }] },
      { images: [{ ...source, height: maskLimits.maxSide + 1 }] },
      { images: [{ ...source, width: 1.5 }] },
      { images: [{ ...source, label: '' }] },
      { images: [{ ...source, label: 'a\u0000b' }] },
      { images: [{ ...source, src: 'javascript:alert(1)' }] },
      { images: [{ ...source, src: 'data:image/png;base64,AAAA' }] },
      { images: [{ ...source, path: '/etc/passwd' }] },
    ];
    for (const variant of variants) assert.equal(parseSavedEdit(variant), undefined, JSON.stringify(variant)?.slice(0, 120));
    assert.ok(parseSavedEdit(good));
  });

  test('a bad or mismatched mask is dropped and the images kept', () => {
    const images = [source];
    for (const bad of [
      { width: 97, height: 64, ops: mask.ops },
      { width: 96, height: 64, ops: [] },
      { width: 96, height: 64, ops: [{ kind: 'stroke', erase: false, radius: 6, points: [500, 10] }] },
      { width: 96, height: 64, ops: [{ kind: 'fill' }] },
      'mask',
    ]) {
      assert.deepEqual(parseSavedEdit({ images, mask: bad }), { images: [source] }, JSON.stringify(bad));
    }
  });

  test('gallery images whose cards are gone are left out; the mask goes with the first image', () => {
    const saved = { images: [source, reference], mask };
    assert.deepEqual(withoutMissing(saved, () => true), saved);
    assert.deepEqual(withoutMissing(saved, () => false), { images: [reference] }, 'the picked file stays, the mask of the removed image does not');
    assert.equal(withoutMissing({ images: [source] }, () => false), undefined);
  });
});
