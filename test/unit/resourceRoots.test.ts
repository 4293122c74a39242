import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HistoryEntry } from '../../src/generation/history';
import { imageRootPaths, type RootFolder } from '../../src/studio/resourceRoots';

const always = (): boolean => true;

function entry(folder: string | undefined, files: string[]): HistoryEntry {
  const options = { size: '1024x1024', quality: 'auto', n: 1, outputFormat: 'png', background: 'auto' } as const;
  return { id: `e${files.length}`, prompt: 'p', model: 'gpt-image-2', options, folder, files, createdAt: 1 };
}

suite('Studio resource roots', () => {
  const root = path.resolve('/work/space');
  const folder: RootFolder = { name: 'space', fsPath: root, assetsFolder: 'assets' };

  test('each folder gives its assets folder; no extension folder but media (added by the caller)', () => {
    const other: RootFolder = { name: 'other', fsPath: path.resolve('/work/other'), assetsFolder: 'img/out' };
    assert.deepEqual(imageRootPaths([folder, other], [], always), [
      path.join(root, 'assets'),
      path.resolve('/work/other/img/out'),
    ]);
  });

  test('assetsFolder "." makes the folder itself a root', () => {
    assert.deepEqual(imageRootPaths([{ ...folder, assetsFolder: '.' }], [], always), [root]);
  });

  test('an assetsFolder outside the folder adds no root', () => {
    for (const assetsFolder of ['..', '../elsewhere', '/etc', '../../..']) {
      assert.deepEqual(imageRootPaths([{ ...folder, assetsFolder }], [], always), [], assetsFolder);
    }
  });

  test('a folder the symlink check refuses adds no root', () => {
    assert.deepEqual(imageRootPaths([folder], [entry('space', ['old/a.png'])], () => false), []);
  });

  test('earlier generations inside an open folder add their folders once; outside ones do not', () => {
    const entries = [
      entry('space', ['old/a.png', 'old/b.png']),
      entry('space', ['assets/c.png']),
      entry(undefined, [path.resolve('/tmp/elsewhere/d.png')]),
      entry('space', ['../escape/e.png']),
      entry('closed', ['x/f.png', 'x/g.png', 'x/h.png']),
    ];
    // With one folder open, a relative file of another folder's entry resolves against it (as the
    // gallery does); two folders open keep them apart.
    const two: RootFolder[] = [folder, { name: 'closed-not', fsPath: path.resolve('/work/b'), assetsFolder: 'assets' }];
    assert.deepEqual(imageRootPaths(two, entries, always), [
      path.join(root, 'assets'),
      path.resolve('/work/b/assets'),
      path.join(root, 'old'),
    ]);
  });

  test('a real assets symlink out of the workspace adds no root (default check)', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-image-roots-'));
    try {
      const workspace = path.join(base, 'ws');
      const outside = path.join(base, 'outside');
      fs.mkdirSync(workspace);
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(workspace, 'assets'), 'dir');
      fs.mkdirSync(path.join(workspace, 'ok'));
      const folders: RootFolder[] = [{ name: 'ws', fsPath: workspace, assetsFolder: 'assets' }];
      assert.deepEqual(imageRootPaths(folders, []), []);
      assert.deepEqual(imageRootPaths([{ ...folders[0]!, assetsFolder: 'ok' }], []), [path.join(workspace, 'ok')]);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
