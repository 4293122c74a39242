import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { HistoryStore, renameStoredPaths, type HistoryEntry } from '../../src/generation/history';
import { isFromWebview } from '../../src/shared/protocol';
import { Lineage } from '../../src/studio/lineage';

class MemoryMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    // Like workspaceState: stored as JSON (undefined fields vanish).
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const root = path.resolve('/work/site');
const folders = [{ name: 'site', fsPath: root }];
const options = { size: '1024x1024', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' } as const;
let clock = 1_000;

function entry(id: string, files: string[], extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return { id, prompt: `prompt ${id}`, options: { ...options, n: files.length }, model: 'gpt-image-2', folder: 'site', files, createdAt: clock++, ...extra };
}

async function store(...entries: HistoryEntry[]): Promise<HistoryStore> {
  const history = new HistoryStore(new MemoryMemento());
  // add() puts the newest first: add the oldest first.
  for (const one of [...entries].reverse()) await history.add(one);
  return history;
}

suite('variants: Keep and Discard the others in the history (issue #13)', () => {
  test('setKept marks and unmarks one file of one entry; unknown files and entries change nothing', async () => {
    const history = await store(entry('gen', ['a/1.png', 'a/2.png', 'a/3.png']), entry('other', ['a/x.png']));
    assert.equal(await history.setKept('gen', 'a/2.png', true), true);
    assert.equal(await history.setKept('gen', 'a/2.png', true), false, 'already kept');
    assert.equal(await history.setKept('gen', 'a/x.png', true), false, 'a file of another entry');
    assert.equal(await history.setKept('nope', 'a/1.png', true), false);
    assert.deepEqual(history.get('gen')?.kept, ['a/2.png']);
    assert.equal(history.get('other')?.kept, undefined);
    assert.equal(await history.setKept('gen', 'a/2.png', false), true);
    assert.equal(history.get('gen')?.kept, undefined, 'nothing kept: the field goes');
  });

  test('removeFiles drops the discarded files and keeps the entry with its kept image', async () => {
    const history = await store(entry('gen', ['a/1.png', 'a/2.png', 'a/3.png']));
    await history.setKept('gen', 'a/2.png', true);
    assert.equal(await history.removeFiles('gen', ['a/1.png', 'a/3.png']), true);
    assert.deepEqual(history.get('gen')?.files, ['a/2.png']);
    assert.deepEqual(history.get('gen')?.kept, ['a/2.png']);
    assert.equal(await history.removeFiles('gen', ['a/9.png']), false);
    assert.equal(await history.removeFiles('gen', ['a/2.png']), true);
    assert.equal(history.get('gen'), undefined, 'an entry without files goes');
  });

  test('a pruned kept file leaves the entry valid; a rename keeps the image kept', async () => {
    const history = await store(entry('gen', ['a/1.png', 'a/2.png']));
    await history.setKept('gen', 'a/1.png', true);
    await history.prune(async (_, file) => file !== 'a/1.png');
    assert.deepEqual(history.get('gen')?.files, ['a/2.png']);
    assert.equal(history.get('gen')?.kept, undefined);
    const renamed = renameStoredPaths([entry('r', ['a/1.png', 'a/2.png'], { kept: ['a/2.png'] })], [{ from: path.join(root, 'a'), to: path.join(root, 'b') }], folders);
    assert.deepEqual(renamed[0].files, ['b/1.png', 'b/2.png']);
    assert.deepEqual(renamed[0].kept, ['b/2.png']);
  });

  test('a stored entry whose kept list names a file it does not have is skipped', async () => {
    const memento = new MemoryMemento();
    await memento.update('gptImage.studioHistory', [entry('bad', ['a/1.png'], { kept: ['../outside.png'] }), entry('good', ['a/1.png', 'a/2.png'], { kept: ['a/1.png'] })]);
    assert.deepEqual(new HistoryStore(memento).list().map((one) => one.id), ['good']);
  });

  test('hostile review L2: a kept or parent path with a `.` or `..` segment makes the stored entry invalid', async () => {
    const memento = new MemoryMemento();
    await memento.update('gptImage.studioHistory', [
      entry('dot', ['a/1.png', 'a/./1.png'], { kept: ['a/./1.png'] }),
      entry('dotdot', ['a/1.png', 'a/2.png'], { kept: ['a/1.png'], parents: ['a/../a/2.png'] }),
      entry('good', ['a/1.png', 'a/2.png'], { kept: ['a/1.png'], parents: ['a/0.png'] }),
    ]);
    assert.deepEqual(new HistoryStore(memento).list().map((one) => one.id), ['good']);
  });

  test('the webview messages are validated strictly', () => {
    assert.equal(isFromWebview({ type: 'keep', id: 'gen', index: 1 }), true);
    assert.equal(isFromWebview({ type: 'discardOthers', id: 'gen' }), true);
    assert.equal(isFromWebview({ type: 'openParent', id: 'gen' }), true);
    assert.equal(isFromWebview({ type: 'discardOthers', id: 'gen', files: ['/etc/passwd'] }), false, 'no paths from the webview');
    assert.equal(isFromWebview({ type: 'discardOthers', id: '../x' }), false);
    assert.equal(isFromWebview({ type: 'keep', id: 'gen', index: -1 }), false);
    assert.equal(isFromWebview({ type: 'keep', id: 'gen' }), false);
    assert.equal(isFromWebview({ type: 'openParent', id: 'gen', index: 0 }), false);
  });
});

suite('galleryModel lineage from history parents (issue #13)', () => {
  const abs = (file: string): string => path.join(root, ...file.split('/'));
  const onDisk = new Set([abs('img/hero.png')]);
  const context = (entries: HistoryEntry[]) => ({
    entries,
    folders,
    exists: (file: string) => onDisk.has(file),
    src: (file: string) => `webview:${path.relative(root, file).split(path.sep).join('/')}`,
  });
  // Newest first, as the history lists them: hero.png (the user's) → edit1 → edit2 (two images).
  const edit2 = entry('edit2', ['img/hero-edit-2-1.png', 'img/hero-edit-2-2.png'], { parents: ['img/hero-edit-1.png', 'img/style.png'] });
  const edit1 = entry('edit1', ['img/hero-edit-1.png'], { parents: ['img/hero.png'] });
  const unrelated = entry('gen', ['img/cat.png']);

  test('an edit names its first parent: its card when it has one, else the file, else "(deleted)"', () => {
    const lineage = new Lineage(context([edit2, edit1, unrelated]));
    assert.deepEqual(lineage.editedFrom(edit2), { name: 'hero-edit-1.png', ref: { id: 'edit1', index: 0 }, deleted: false });
    assert.deepEqual(lineage.editedFrom(edit1), { name: 'hero.png', deleted: false }, 'the original has no card but exists');
    assert.equal(lineage.editedFrom(unrelated), undefined, 'a generation from scratch');
    const orphan = entry('orphan', ['img/x-edit.png'], { parents: ['img/gone.png'] });
    assert.deepEqual(new Lineage(context([orphan])).editedFrom(orphan), { name: 'gone.png', deleted: true });
  });

  test('versions run from the original through the edits, the current one marked; references are no versions', () => {
    const lineage = new Lineage(context([edit2, edit1, unrelated]));
    assert.deepEqual(lineage.versions(edit2, 1), [
      { name: 'hero.png', src: 'webview:img/hero.png' },
      { name: 'hero-edit-1.png', src: 'webview:img/hero-edit-1.png', ref: { id: 'edit1', index: 0 } },
      { name: 'hero-edit-2-2.png', src: 'webview:img/hero-edit-2-2.png', ref: { id: 'edit2', index: 1 }, current: true },
    ]);
    // The middle card shows what came before and the edits made of it.
    assert.deepEqual(lineage.versions(edit1, 0)?.map((version) => [version.name, version.current ?? false]), [
      ['hero.png', false],
      ['hero-edit-1.png', true],
      ['hero-edit-2-1.png', false],
      ['hero-edit-2-2.png', false],
    ]);
    assert.equal(lineage.versions(unrelated, 0), undefined, 'no parent, no edits: no strip');
  });

  test('a deleted parent shows as deleted in the strip, without a thumbnail', () => {
    const lineage = new Lineage(context([edit2]));
    assert.deepEqual(lineage.editedFrom(edit2), { name: 'hero-edit-1.png', deleted: true });
    assert.deepEqual(lineage.versions(edit2, 0)?.[0], { name: 'hero-edit-1.png', deleted: true });
  });

  test('a hand-edited history with a cycle or a parent outside the folder cannot loop or escape', () => {
    const a = entry('a', ['img/a.png'], { parents: ['img/b.png'] });
    const b = entry('b', ['img/b.png'], { parents: ['img/a.png'] });
    const lineage = new Lineage(context([a, b]));
    assert.deepEqual(lineage.versions(a, 0)?.map((version) => version.name), ['b.png', 'a.png']);
    const escape = entry('e', ['img/e.png'], { parents: ['../../etc/passwd'] });
    assert.deepEqual(new Lineage(context([escape])).editedFrom(escape), { name: 'passwd', deleted: true });
    assert.equal(new Lineage(context([escape])).versions(escape, 0), undefined);
  });
});
