import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { findLinkReplacements, nonOverlapping, type ReplaceLinksOptions } from '../../src/core/linkReplace';

const root = path.resolve('/ws');
const doc = path.join(root, 'docs', 'guide.md');
const from = path.join(root, 'docs', 'images', 'hero shot.png');
const to = path.join(root, 'docs', 'images', 'hero shot-edit-20261202-010203.png');
const options: ReplaceLinksOptions = { documentPath: doc, workspaceRoot: root, from, to };

function apply(text: string, extra: Partial<ReplaceLinksOptions> = {}): string {
  let out = text;
  for (const r of findLinkReplacements(text, { ...options, ...extra }).reverse()) out = out.slice(0, r.start) + r.replacement + out.slice(r.end);
  return out;
}

suite('linkReplace: links to the original point at the edit', () => {
  test('Markdown: bracketed, percent-encoded, ./, title, fragment, reference definitions', () => {
    const text = [
      '![a](<images/hero shot.png>)',
      '![b](images/hero%20shot.png "Hero")',
      '![c](./images/hero%20shot.png#top)',
      '[ref]: images/hero%20shot.png',
      '![d](/docs/images/hero%20shot.png)',
    ].join('\n');
    assert.equal(
      apply(text),
      [
        '![a](<images/hero shot-edit-20261202-010203.png>)',
        '![b](images/hero%20shot-edit-20261202-010203.png "Hero")',
        '![c](./images/hero%20shot-edit-20261202-010203.png#top)',
        '[ref]: images/hero%20shot-edit-20261202-010203.png',
        '![d](/docs/images/hero%20shot-edit-20261202-010203.png)',
      ].join('\n'),
    );
  });

  test('HTML, JSX, CSS, AsciiDoc, reStructuredText and LaTeX targets', () => {
    const o = { from: path.join(root, 'docs', 'images', 'logo.png'), to: path.join(root, 'docs', 'images', 'logo-edit-1.png') };
    const text = `<img src="images/logo.png" alt="x">\n<img src='images/logo.png'/>\n.a { background: url("images/logo.png"); }\nimage::images/logo.png[Logo]\n.. image:: images/logo.png\n\\includegraphics[width=3cm]{images/logo.png}`;
    assert.equal(apply(text, o), text.replaceAll('logo.png', 'logo-edit-1.png'));
  });

  test('other files, other folders, URLs and look-alike names stay as they are', () => {
    const text = [
      '![x](images/hero shot.png.bak)',
      '![x](other/hero%20shot.png)',
      '![x](https://example.com/docs/images/hero%20shot.png)',
      '![x](images/hero%20shot.png.png)',
      'images/hero shot.png in prose',
    ].join('\n');
    assert.deepEqual(findLinkReplacements(text, options), []);
  });

  test('an untitled document resolves from the workspace root', () => {
    const text = '![a](docs/images/hero%20shot.png)';
    assert.equal(apply(text, { documentPath: undefined }), '![a](docs/images/hero%20shot-edit-20261202-010203.png)');
  });

  test('overlapping rewrites: each is compared with the last one kept, so a chain cannot sneak one in', () => {
    const r = (start: number, end: number) => ({ start, end, replacement: `${start}-${end}` });
    assert.deepEqual(nonOverlapping([r(8, 12), r(0, 10), r(5, 7)]), [r(0, 10)]);
    assert.deepEqual(nonOverlapping([r(10, 12), r(0, 10), r(12, 13)]), [r(0, 10), r(10, 12), r(12, 13)]);
    assert.deepEqual(nonOverlapping([]), []);
  });
});
