/**
 * The Studio form's pure rules, DOM-free so plain mocha tests them: which options follow the settings
 * (the defaults) and which stay as the user set them.
 */
import type { ImageOptionField, ImageOptions } from './options';

/**
 * The options to show after the settings changed to `next`: fields the user edited keep their
 * `current` value, the others take the settings' value. (`current.size` may be '' for an empty custom
 * size; the form then falls back to the settings' size.)
 */
export function mergeDefaults(
  current: ImageOptions,
  next: ImageOptions,
  edited: ReadonlySet<ImageOptionField>,
): ImageOptions {
  const pick = <F extends ImageOptionField>(field: F): ImageOptions[F] => (edited.has(field) ? current[field] : next[field]);
  return {
    size: pick('size'),
    quality: pick('quality'),
    n: pick('n'),
    outputFormat: pick('outputFormat'),
    background: pick('background'),
  };
}

/**
 * The edited fields that still differ from the settings: a field set back to the settings' value is no
 * longer "edited", so later settings changes apply to it again.
 */
export function stillEdited(
  current: ImageOptions,
  defaults: ImageOptions,
  edited: ReadonlySet<ImageOptionField>,
): Set<ImageOptionField> {
  return new Set([...edited].filter((field) => String(current[field]) !== String(defaults[field])));
}
