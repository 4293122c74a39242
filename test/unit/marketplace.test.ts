import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** What `.vscodeignore` leaves out, as the simple globs it uses (`dir/**`, `**\/*.ext`, names). */
function ignored(file: string): boolean {
  const patterns = fs
    .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  return patterns.some((pattern) => {
    const regex = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '(?:.*/)?')
      .replace(/\*\*/g, '.*')
      .replace(/\*/g, '[^/]*');
    return new RegExp(`^${regex}$`).test(file);
  });
}

suite('Marketplace readiness (issue #15 §6)', () => {
  test('an icon of its own: a 128x128 PNG in media/, packaged, with its SVG source', () => {
    assert.equal(manifest.icon, 'media/icon.png');
    const png = fs.readFileSync(path.join(root, manifest.icon));
    assert.equal(png.toString('latin1', 1, 4), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    assert.ok(!ignored(manifest.icon), 'the icon is packaged');
    assert.ok(fs.existsSync(path.join(root, 'media/icon.svg')), 'the source it is rendered from');
  });

  test('categories and keywords people search for', () => {
    assert.ok(manifest.categories.includes('AI'));
    assert.ok(!manifest.categories.every((c: string) => c === 'Other'));
    for (const word of ['image generation', 'gpt-image-2', 'openai', 'markdown']) assert.ok(manifest.keywords.includes(word), word);
    assert.ok(manifest.keywords.length <= 30, 'the Marketplace takes at most 30 keywords');
  });

  test('repository, bugs and homepage are set, so vsce needs no --allow-missing-repository', () => {
    assert.match(manifest.repository.url, /^https:\/\//);
    assert.match(manifest.bugs.url, /^https:\/\//);
    assert.match(manifest.homepage, /^https:\/\//);
    assert.doesNotMatch(manifest.scripts.package, /--allow-missing-repository/);
  });

  test('every image the README shows is a relative file that is packaged (the Extensions view shows it)', () => {
    // Code spans and blocks show link syntax, not images.
    const readme = fs
      .readFileSync(path.join(root, 'README.md'), 'utf8')
      .replace(/```[\s\S]*?```/g, '')
      .replace(/`[^`\n]*`/g, '');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((match) => match[1]);
    assert.ok(images.length >= 1);
    for (const image of images) {
      assert.doesNotMatch(image, /^[a-z]+:/i, `${image} is a relative path`);
      assert.ok(fs.existsSync(path.join(root, image)), `${image} exists`);
      assert.ok(!ignored(image), `${image} is not excluded by .vscodeignore`);
      assert.doesNotMatch(image, /\.svg$/i, 'vsce rejects SVG images in the README');
    }
  });
});
