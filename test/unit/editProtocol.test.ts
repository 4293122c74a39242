import * as assert from 'node:assert/strict';
import { isFromWebview, runIdOf, type FromWebview } from '../../src/shared/protocol';
import { maxEditSources } from '../../src/shared/editProtocol';

const options = { size: '1024x1024', quality: 'high', n: 2, outputFormat: 'png', background: 'auto' } as const;
const id = '3f1c2a9e-7d4b-4c1e-9a51-0c2f7a8b6d10';
const runId = '9b2e41c07d5a4f18a3c6e0d2b7f95a61';
const mask = { width: 1024, height: 1024, ops: [{ kind: 'stroke', erase: false, radius: 30, points: [10, 10, 500, 500] }] } as const;

suite('isFromWebview: edit mode messages (issue #13)', () => {
  const valid: FromWebview[] = [
    { type: 'describeImage', purpose: 'source', id, index: 0 },
    { type: 'describeImage', purpose: 'reference', id: 'a', index: 9 },
    { type: 'pickReferences' },
    { type: 'reuseEdit', id },
    { type: 'edit', runId, prompt: 'Make the sky pink', options, images: [{ kind: 'gallery', id, index: 0 }] },
    { type: 'edit', runId, prompt: 'p', options, images: [{ kind: 'gallery', id, index: 0 }], mask },
    {
      type: 'edit',
      runId,
      prompt: 'p',
      options,
      images: [{ kind: 'gallery', id, index: 0 }, { kind: 'gallery', id, index: 1 }, { kind: 'picked', token: 'pick-1' }],
    },
    { type: 'edit', runId, prompt: 'p', options, images: Array.from({ length: maxEditSources }, (_, index) => ({ kind: 'picked' as const, token: `t${index}` })) },
  ];
  for (const message of valid) {
    test(`accepts ${JSON.stringify(message).slice(0, 90)}`, () => {
      assert.equal(isFromWebview(message), true);
      assert.equal(isFromWebview(JSON.parse(JSON.stringify(message))), true);
    });
  }

  const edit = (changes: Record<string, unknown>): unknown => ({ type: 'edit', runId, prompt: 'p', options, images: [{ kind: 'gallery', id, index: 0 }], ...changes });
  const invalid: [string, unknown][] = [
    ['describeImage with a path', { type: 'describeImage', purpose: 'source', id, index: 0, path: '/etc/passwd' }],
    ['describeImage of an unknown purpose', { type: 'describeImage', purpose: 'mask', id, index: 0 }],
    ['describeImage with a bad id', { type: 'describeImage', purpose: 'source', id: '../x', index: 0 }],
    ['describeImage with index 10', { type: 'describeImage', purpose: 'source', id, index: 10 }],
    ['pickReferences with a folder', { type: 'pickReferences', folder: '/' }],
    ['reuseEdit with a bad id', { type: 'reuseEdit', id: '../x' }],
    ['reuseEdit with a path', { type: 'reuseEdit', id, path: '/etc/passwd' }],
    ['edit without images', edit({ images: [] })],
    ['edit with 17 images', edit({ images: Array.from({ length: maxEditSources + 1 }, (_, index) => ({ kind: 'picked', token: `t${index}` })) })],
    ['edit naming one image twice', edit({ images: [{ kind: 'gallery', id, index: 0 }, { kind: 'gallery', id, index: 0 }] })],
    ['edit with a path image', edit({ images: [{ kind: 'path', path: '/etc/passwd' }] })],
    ['edit with a picked path', edit({ images: [{ kind: 'picked', token: '../../secret.png' }] })],
    ['edit with an extra key on an image', edit({ images: [{ kind: 'gallery', id, index: 0, path: 'x' }] })],
    ['edit with a bad run id', edit({ runId: 'a b' })],
    ['edit with a blank prompt', edit({ prompt: '  ' })],
    ['edit with bad options', edit({ options: { ...options, n: 11 } })],
    ['edit with mask bytes', edit({ mask: { width: 10, height: 10, png: 'iVBOR' } })],
    ['edit with an oversized mask', edit({ mask: { ...mask, width: 100_000 } })],
    ['edit with a mask stroke off the image', edit({ mask: { ...mask, ops: [{ kind: 'stroke', erase: false, radius: 3, points: [2000, 2] }] } })],
    ['edit with mask: null', edit({ mask: null })],
    ['edit with an unknown key', edit({ inputFidelity: 'high' })],
    // Sparse arrays (review): every/some skip holes, so these passed or threw before.
    ['edit with images of holes only', edit({ images: new Array(2) })],
    ['edit with a hole beside an image', edit({ images: Object.assign(new Array(2), { 1: { kind: 'gallery', id, index: 0 } }) })],
  ];
  for (const [name, message] of invalid) test(`refuses ${name}`, () => assert.equal(isFromWebview(message), false));

  test('edit runs use the generate run messages (runIdOf)', () => {
    assert.equal(runIdOf({ type: 'started', runId, prompt: 'p' }), runId);
    assert.equal(runIdOf({ type: 'editImage', purpose: 'source', image: { ref: { kind: 'gallery', id, index: 0 }, label: 'a.png', width: 1, height: 1 } }), undefined);
  });
});
