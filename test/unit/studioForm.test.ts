import * as assert from 'node:assert/strict';
import type { ImageOptionField, ImageOptions } from '../../src/shared/options';
import { mergeDefaults, stillEdited } from '../../src/shared/studioForm';

const settings: ImageOptions = { size: '1024x1024', quality: 'auto', n: 1, outputFormat: 'png', background: 'auto' };
const form: ImageOptions = { size: '1536x1024', quality: 'high', n: 3, outputFormat: 'webp', background: 'opaque' };

suite('Studio form: defaults and edited options', () => {
  test('nothing edited: every option follows the settings', () => {
    assert.deepEqual(mergeDefaults(form, settings, new Set()), settings);
  });

  test('edited options keep the form value, the others follow the settings', () => {
    const edited = new Set<ImageOptionField>(['quality', 'n']);
    assert.deepEqual(mergeDefaults(form, settings, edited), { ...settings, quality: 'high', n: 3 });
  });

  test('an option set back to the settings value is no longer edited', () => {
    const edited = new Set<ImageOptionField>(['quality', 'n', 'size']);
    const current = { ...form, quality: 'auto', n: 1 } as const;
    assert.deepEqual([...stillEdited(current, settings, edited)], ['size']);
  });

  test('counts compare by value, whatever their type in the form', () => {
    assert.deepEqual([...stillEdited({ ...settings, n: 2 }, { ...settings, n: 2 }, new Set<ImageOptionField>(['n']))], []);
  });
});
