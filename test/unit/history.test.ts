import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  historyRequestIdFrom,
  historyUsageFrom,
  HistoryStore,
  renameStoredPaths,
  resolveStoredPath,
  toStoredPaths,
  type HistoryEntry,
} from '../../src/generation/history';

class MemoryMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string, fallback?: T): T | undefined {
    return this.values.has(key) ? (this.values.get(key) as T) : fallback;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

/** Like workspaceState on a slow disk: the new value is visible only once the write resolves. */
class SlowMemento extends MemoryMemento {
  override async update(key: string, value: unknown): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.values.set(key, value);
  }
}

/** A promise settled from outside, to hold an operation at a chosen point. */
function deferred(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const root = path.resolve('/work/site with spaces');
const folders = [{ name: 'site with spaces', fsPath: root }];

function entry(id: string, files: string[] = [`assets/${id}.png`], createdAt = 1): HistoryEntry {
  return {
    id,
    prompt: `prompt ${id}`,
    options: { size: '1024x1024', quality: 'auto', n: files.length, outputFormat: 'png', background: 'auto' },
    model: 'gpt-image-2',
    folder: 'site with spaces',
    files,
    createdAt,
  };
}

suite('HistoryStore', () => {
  test('keeps entries newest first and caps them', async () => {
    const store = new HistoryStore(new MemoryMemento(), 3);
    for (const id of ['a', 'b', 'c', 'd']) await store.add(entry(id));
    assert.deepEqual(
      store.list().map((e) => e.id),
      ['d', 'c', 'b'],
    );
    assert.equal(store.get('a'), undefined);
    assert.equal(store.get('c')?.prompt, 'prompt c');
  });

  test('skips malformed stored entries', async () => {
    const memento = new MemoryMemento();
    const store = new HistoryStore(memento);
    await store.add(entry('good'));
    const stored = memento.values.get('gptImage.studioHistory') as unknown[];
    memento.values.set('gptImage.studioHistory', [
      ...stored,
      null,
      { id: 'x' },
      { ...entry('bad-options'), options: { size: 'huge' } },
      { ...entry('no-files'), files: [] },
      { ...entry('bad id!') },
    ]);
    assert.deepEqual(
      store.list().map((e) => e.id),
      ['good'],
    );
    memento.values.set('gptImage.studioHistory', 'not an array');
    assert.deepEqual(store.list(), []);
  });

  test('prune drops deleted files and entries left empty', async () => {
    const store = new HistoryStore(new MemoryMemento());
    await store.add(entry('gone'));
    await store.add(entry('partly', ['assets/p-1.png', 'assets/p-2.png']));
    await store.add(entry('kept'));
    const existing = new Set(['assets/kept.png', 'assets/p-2.png']);
    assert.equal(await store.prune(async (_, file) => existing.has(file)), true);
    assert.deepEqual(
      store.list().map((e) => [e.id, e.files]),
      [
        ['kept', ['assets/kept.png']],
        ['partly', ['assets/p-2.png']],
      ],
    );
    assert.equal(await store.prune(async () => true), false, 'nothing changed the second time');
  });

  test('prune treats a failing check as a missing file', async () => {
    const store = new HistoryStore(new MemoryMemento());
    await store.add(entry('a'));
    await store.prune(() => Promise.reject(new Error('EACCES')));
    assert.deepEqual(store.list(), []);
  });

  test('an add while a slow prune checks files is kept', async () => {
    const store = new HistoryStore(new SlowMemento());
    await store.add(entry('gone'));
    await store.add(entry('kept'));
    const checking = deferred();
    const release = deferred();
    const pruning = store.prune(async (_, file) => {
      checking.resolve();
      await release.promise;
      return file !== 'assets/gone.png';
    });
    await checking.promise;
    const adding = store.add(entry('new'));
    release.resolve();
    assert.equal(await pruning, true);
    await adding;
    assert.deepEqual(
      store.list().map((e) => e.id),
      ['new', 'kept'],
    );
  });

  test('an add queued behind a prune write is kept, and so is the prune', async () => {
    const store = new HistoryStore(new SlowMemento());
    await store.add(entry('gone'));
    const pruning = store.prune(async () => false);
    // Let the checks finish so the prune's write is queued first.
    await new Promise((resolve) => setImmediate(resolve));
    const adding = store.add(entry('new'));
    await Promise.all([pruning, adding]);
    assert.deepEqual(
      store.list().map((e) => e.id),
      ['new'],
    );
  });

  test('concurrent adds on a slow memento are all kept', async () => {
    const store = new HistoryStore(new SlowMemento());
    await Promise.all(['a', 'b', 'c'].map((id) => store.add(entry(id))));
    assert.deepEqual(
      store.list().map((e) => e.id),
      ['c', 'b', 'a'],
    );
  });

  test('a failed write rejects its caller but not the mutations after it', async () => {
    let failures = 1;
    const memento = new (class extends MemoryMemento {
      override async update(key: string, value: unknown): Promise<void> {
        if (failures-- > 0) throw new Error('disk full');
        await super.update(key, value);
      }
    })();
    const store = new HistoryStore(memento);
    const failing = store.add(entry('a'));
    const next = store.add(entry('b'));
    await assert.rejects(failing, /disk full/);
    await next;
    assert.deepEqual(
      store.list().map((e) => e.id),
      ['b'],
    );
  });
});

suite('stored paths', () => {
  test('files inside a workspace folder are stored relative, with posix separators', () => {
    const files = [path.join(root, 'assets', 'a b.png'), path.join(root, 'assets', 'c.png')];
    const stored = toStoredPaths(files, folders);
    assert.deepEqual(stored, { folder: 'site with spaces', files: ['assets/a b.png', 'assets/c.png'] });
    assert.equal(resolveStoredPath(stored, stored.files[0], folders), files[0]);
  });

  test('files outside every folder stay absolute', () => {
    const outside = path.resolve('/tmp/hero.png');
    const stored = toStoredPaths([outside], folders);
    assert.deepEqual(stored, { files: [outside] });
    assert.equal(resolveStoredPath({}, outside, []), outside);
  });

  test('a relative path needs its folder open and cannot climb out of it', () => {
    assert.equal(resolveStoredPath({ folder: 'site with spaces' }, 'assets/a.png', []), undefined);
    assert.equal(resolveStoredPath({ folder: 'site with spaces' }, '../../etc/passwd', folders), undefined);
    assert.equal(resolveStoredPath({ folder: 'site with spaces' }, '.', folders), undefined, 'not the folder itself');
    assert.equal(resolveStoredPath({ folder: 'site with spaces' }, '../site with spaces-old/a.png', folders), undefined);
    // A single open folder is used even if it was renamed since.
    assert.equal(
      resolveStoredPath({ folder: 'old name' }, 'assets/a.png', folders),
      path.join(root, 'assets', 'a.png'),
    );
  });
});

suite('history: request id, usage and moved files (issue #10)', () => {
  const folders = [{ name: 'site', fsPath: root }];
  const base: HistoryEntry = {
    id: '00000000-0000-4000-8000-000000000001',
    prompt: 'a fox',
    model: 'gpt-image-2',
    options: { size: '1024x1024', quality: 'auto', n: 1, outputFormat: 'png', background: 'auto' },
    folder: 'site',
    files: ['assets/fox.png'],
    createdAt: 1,
  };

  test('keeps entries with and without request id and usage; drops malformed ones', async () => {
    const memento = new MemoryMemento();
    memento.values.set('gptImage.studioHistory', [
      base,
      { ...base, id: '00000000-0000-4000-8000-000000000002', requestId: 'req_1', usage: { totalTokens: 5, inputTokens: 2 } },
      { ...base, id: '00000000-0000-4000-8000-000000000003', requestId: '' },
      { ...base, id: '00000000-0000-4000-8000-000000000004', requestId: 'x'.repeat(201) },
      { ...base, id: '00000000-0000-4000-8000-000000000005', requestId: 'has space' },
      { ...base, id: '00000000-0000-4000-8000-000000000006', usage: { totalTokens: -1 } },
      { ...base, id: '00000000-0000-4000-8000-000000000007', usage: { totalTokens: 1.5 } },
      { ...base, id: '00000000-0000-4000-8000-000000000008', usage: { totalTokens: Infinity } },
      { ...base, id: '00000000-0000-4000-8000-000000000009', usage: { other: 1 } },
      { ...base, id: '00000000-0000-4000-8000-00000000000a', usage: [] },
    ]);
    const ids = new HistoryStore(memento).list().map((entry) => entry.id.slice(-1));
    assert.deepEqual(ids, ['1', '2']);
  });

  test('historyUsageFrom keeps known whole counts; historyRequestIdFrom only short printable ids', () => {
    assert.deepEqual(historyUsageFrom({ total_tokens: 10, input_tokens: -1, output_tokens: 3 }), { totalTokens: 10, outputTokens: 3 });
    assert.equal(historyUsageFrom({ total_tokens: 0.5 }), undefined);
    assert.equal(historyUsageFrom(undefined), undefined);
    assert.equal(historyRequestIdFrom('req_abc'), 'req_abc');
    assert.equal(historyRequestIdFrom('a\nb'), undefined);
    assert.equal(historyRequestIdFrom(undefined), undefined);
  });

  test('renameStoredPaths follows a renamed file and a renamed folder, leaves others alone', () => {
    const other = { ...base, id: '00000000-0000-4000-8000-000000000002', files: ['img/cat.png'] };
    const entries = [base, other];
    assert.equal(renameStoredPaths(entries, [{ from: path.join(root, 'nope.png'), to: path.join(root, 'x.png') }], folders), entries);
    const file = renameStoredPaths(entries, [{ from: path.join(root, 'assets', 'fox.png'), to: path.join(root, 'pics', 'fox2.png') }], folders);
    assert.deepEqual(file[0]?.files, ['pics/fox2.png']);
    assert.equal(file[1], other);
    const dir = renameStoredPaths(entries, [{ from: path.join(root, 'assets'), to: path.join(root, 'media', 'a') }], folders);
    assert.deepEqual(dir[0]?.files, ['media/a/fox.png']);
    const out = renameStoredPaths(entries, [{ from: path.join(root, 'assets', 'fox.png'), to: path.resolve('/elsewhere/fox.png') }], folders);
    assert.deepEqual(out[0]?.files, [path.resolve('/elsewhere/fox.png')]);
    assert.equal(out[0]?.folder, undefined);
  });

  test('HistoryStore.rename stores the new paths and reports whether anything changed', async () => {
    const memento = new MemoryMemento();
    const store = new HistoryStore(memento);
    await store.add(base);
    assert.equal(await store.rename([{ from: path.join(root, 'x.png'), to: path.join(root, 'y.png') }], folders), false);
    assert.equal(await store.rename([{ from: path.join(root, 'assets', 'fox.png'), to: path.join(root, 'fox.png') }], folders), true);
    assert.deepEqual(store.get(base.id)?.files, ['fox.png']);
  });
});
