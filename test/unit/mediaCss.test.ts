import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const media = path.join(__dirname, '..', '..', '..', 'media');
const css = (name: string): string => fs.readFileSync(path.join(media, name), 'utf8');

/** The declarations of the first rule whose selector list is exactly `selector`. */
function rule(text: string, selector: string): string {
  const match = new RegExp(`(?:^|\\n)${selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\{([^}]*)\\}`).exec(text);
  assert.ok(match, `a rule for ${selector}`);
  return match[1];
}

suite('Studio stylesheets (media/*.css)', () => {
  test('the transparency checkerboard is defined once and used by the gallery frames and the mask frame', () => {
    const sheets = fs.readdirSync(media).filter((name) => name.endsWith('.css'));
    const definitions = sheets.flatMap((name) => (css(name).match(/linear-gradient\(45deg/g) ?? []).map(() => name));
    // One checkerboard: two 45deg gradients (and two -45deg) in one place.
    assert.deepEqual(definitions, ['panel.css', 'panel.css'], `checkerboard gradients per sheet: ${definitions.join(', ')}`);
    for (const [sheet, selector] of [['panel.css', '.frame'], ['edit.css', '.mask-frame']] as const) {
      const body = rule(css(sheet), selector);
      assert.match(body, /background-image:\s*var\(--checkerboard\)/, `${selector} uses the shared checkerboard`);
      assert.match(body, /background-size:\s*var\(--checkerboard-size\)/, `${selector} uses its size`);
      assert.match(body, /background-position:\s*var\(--checkerboard-position\)/, `${selector} uses its position`);
    }
  });
});
