import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageApiError } from '../../src/core/errors';
import { saveImages } from '../../src/core/save';
// The module object itself (not an import-star copy), so a test can stand in for fs.promises.link.
import fsPromises = require('node:fs/promises');

function bytes(n: number, seed = n): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** An AbortSignal that reports aborted from its `after`-th check on: deterministic "abort between steps". */
function abortAfter(after: number): { signal: AbortSignal; checks: () => number } {
  let checks = 0;
  const signal = {
    get aborted(): boolean {
      return ++checks > after;
    },
  } as unknown as AbortSignal;
  return { signal, checks: () => checks };
}

function isKind(kind: string, message?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ImageApiError && e.kind === kind && (message?.test(e.message) ?? true);
}

suite('saveImages', () => {
  let tmp: string;

  setup(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-save-'));
  });

  teardown(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function list(dir = tmp): Promise<string[]> {
    return (await fs.readdir(dir)).sort();
  }

  test('creates the folder and saves every image in order', async () => {
    const dir = path.join(tmp, 'my assets', 'générées');
    const images = [bytes(10), bytes(2000), bytes(0)];
    const saved = await saveImages({ dir, names: ['a b.png', 'ü 猫.png', 'empty.png'], images });
    assert.deepEqual(saved, [path.join(dir, 'a b.png'), path.join(dir, 'ü 猫.png'), path.join(dir, 'empty.png')]);
    for (let i = 0; i < saved.length; i++) assert.deepEqual(new Uint8Array(await fs.readFile(saved[i])), images[i]);
    assert.deepEqual(await list(dir), ['a b.png', 'empty.png', 'ü 猫.png']);
  });

  test('nothing to save is a no-op', async () => {
    assert.deepEqual(await saveImages({ dir: tmp, names: [], images: [] }), []);
  });

  test('never overwrites: taken names get -1, -2…', async () => {
    await fs.writeFile(path.join(tmp, 'image.png'), 'old');
    await fs.writeFile(path.join(tmp, 'image-1.png'), 'old-1');
    await fs.mkdir(path.join(tmp, 'image-2.png'));
    const saved = await saveImages({ dir: tmp, names: ['image.png'], images: [bytes(5)] });
    assert.deepEqual(saved, [path.join(tmp, 'image-3.png')]);
    assert.equal(await fs.readFile(path.join(tmp, 'image.png'), 'utf8'), 'old');
    assert.equal(await fs.readFile(path.join(tmp, 'image-1.png'), 'utf8'), 'old-1');
  });

  test('a dangling symlink is a taken name too', async () => {
    await fs.symlink(path.join(tmp, 'elsewhere.png'), path.join(tmp, 'x.png'));
    const saved = await saveImages({ dir: tmp, names: ['x.png'], images: [bytes(3)] });
    assert.deepEqual(saved, [path.join(tmp, 'x-1.png')]);
    await assert.rejects(fs.stat(path.join(tmp, 'elsewhere.png')));
  });

  test('the same name twice in one call', async () => {
    const saved = await saveImages({ dir: tmp, names: ['p.webp', 'p.webp'], images: [bytes(1), bytes(2)] });
    assert.deepEqual(saved, [path.join(tmp, 'p.webp'), path.join(tmp, 'p-1.webp')]);
  });

  test('8 concurrent saves of the same names give distinct, intact files', async () => {
    const names = ['fox-20240101-000000-1.png', 'fox-20240101-000000-2.png'];
    const batches = Array.from({ length: 8 }, (_, b) => [randomBytes(50_000 + b), randomBytes(60_000 + b)]);
    const results = await Promise.all(batches.map((images) => saveImages({ dir: tmp, names, images })));
    const all = results.flat();
    assert.equal(new Set(all).size, 16);
    for (let b = 0; b < batches.length; b++) {
      for (let i = 0; i < 2; i++) {
        assert.ok((await fs.readFile(results[b][i])).equals(batches[b][i]), `batch ${b} image ${i}`);
      }
    }
    assert.equal((await list()).length, 16, 'no temp files left');
  });

  test('a failure in the middle removes what this call wrote, and nothing else', async () => {
    await fs.writeFile(path.join(tmp, 'keep.png'), 'keep');
    // 300 bytes is over every file system's name limit, and root can't get around that.
    const tooLong = 'x'.repeat(300) + '.png';
    await assert.rejects(
      saveImages({ dir: tmp, names: ['keep.png', 'b.png', tooLong], images: [bytes(1), bytes(2), bytes(3)] }),
      isKind('io', /^Could not save images to .+: file name too long \(ENAMETOOLONG\)$/),
    );
    assert.deepEqual(await list(), ['keep.png']);
    assert.equal(await fs.readFile(path.join(tmp, 'keep.png'), 'utf8'), 'keep');
  });

  test('running out of candidate names removes the temp file and earlier images', async () => {
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => fs.writeFile(path.join(tmp, i === 0 ? 'z.png' : `z-${i}.png`), '')),
    );
    await assert.rejects(
      saveImages({ dir: tmp, names: ['first.png', 'z.png'], images: [bytes(1), bytes(2)] }),
      isKind('io', /z\.png .*taken/),
    );
    const left = await list();
    assert.equal(left.length, 1000);
    assert.ok(!left.includes('first.png'));
    assert.ok(left.every((n) => !n.startsWith('.')));
  });

  test('a file where the folder should be fails with ENOTDIR and creates nothing', async () => {
    await fs.writeFile(path.join(tmp, 'blocker'), 'x');
    await assert.rejects(
      saveImages({ dir: path.join(tmp, 'blocker', 'assets'), names: ['a.png'], images: [bytes(1)] }),
      isKind('io', /blocker.*\(ENOTDIR\)$/),
    );
    assert.deepEqual(await list(), ['blocker']);
  });

  test('an already aborted signal writes nothing, not even the folder', async () => {
    const controller = new AbortController();
    controller.abort();
    const dir = path.join(tmp, 'assets');
    await assert.rejects(
      saveImages({ dir, names: ['a.png'], images: [bytes(1)], signal: controller.signal }),
      isKind('cancelled'),
    );
    assert.deepEqual(await list(), []);
  });

  test('an abort at any step leaves nothing behind', async () => {
    const names = ['a.png', 'b.png', 'c.png'];
    const images = [bytes(100), bytes(200), bytes(300)];
    let completed = false;
    for (let after = 0; !completed; after++) {
      const dir = path.join(tmp, `run-${after}`);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'a.png'), 'old');
      const { signal, checks } = abortAfter(after);
      try {
        await saveImages({ dir, names, images, signal });
        completed = true;
        assert.equal(checks(), after, 'succeeds only once every check passed');
        assert.deepEqual(await list(dir), ['a-1.png', 'a.png', 'b.png', 'c.png']);
      } catch (error) {
        assert.ok(isKind('cancelled')(error), String(error));
        assert.deepEqual(await list(dir), ['a.png'], `abort after ${after} checks`);
        assert.equal(await fs.readFile(path.join(dir, 'a.png'), 'utf8'), 'old');
      }
      assert.ok(after < 100, 'saveImages keeps checking the signal');
    }
  });

  test('a real abort during the writes leaves nothing behind', async () => {
    const controller = new AbortController();
    const images = Array.from({ length: 6 }, (_, i) => randomBytes(2_000_000 + i));
    const names = images.map((_, i) => `big-${i}.png`);
    setImmediate(() => controller.abort());
    await assert.rejects(saveImages({ dir: tmp, names, images, signal: controller.signal }), isKind('cancelled'));
    assert.deepEqual(await list(), []);
  });

  suite('without hard links', () => {
    const realLink = fsPromises.link;
    let linkCalls: number;

    setup(() => {
      linkCalls = 0;
      fsPromises.link = async () => {
        linkCalls++;
        throw Object.assign(new Error('operation not supported'), { code: 'ENOTSUP' });
      };
    });

    teardown(() => {
      fsPromises.link = realLink;
    });

    test('falls back to exclusive creation and still never overwrites', async () => {
      await fs.writeFile(path.join(tmp, 'a.png'), 'old');
      const images = [bytes(10), bytes(20), bytes(30)];
      const saved = await saveImages({ dir: tmp, names: ['a.png', 'a.png', 'b.png'], images });
      assert.deepEqual(saved, [path.join(tmp, 'a-1.png'), path.join(tmp, 'a-2.png'), path.join(tmp, 'b.png')]);
      for (let i = 0; i < 3; i++) assert.deepEqual(new Uint8Array(await fs.readFile(saved[i])), images[i]);
      assert.equal(await fs.readFile(path.join(tmp, 'a.png'), 'utf8'), 'old');
      assert.deepEqual(await list(), ['a-1.png', 'a-2.png', 'a.png', 'b.png']);
      assert.equal(linkCalls, 1, 'link is not tried again once it is known to be unsupported');
    });

    test('a failure removes the files written so far', async () => {
      await assert.rejects(
        saveImages({ dir: tmp, names: ['a.png', 'y'.repeat(300)], images: [bytes(1), bytes(2)] }),
        isKind('io', /ENAMETOOLONG/),
      );
      assert.deepEqual(await list(), []);
    });

    test('an abort between writes removes the files written so far', async () => {
      for (let after = 1; after < 8; after++) {
        const dir = path.join(tmp, `run-${after}`);
        const { signal } = abortAfter(after);
        await assert.rejects(
          saveImages({ dir, names: ['a.png', 'b.png'], images: [bytes(1), bytes(2)], signal }),
          isKind('cancelled'),
        );
        assert.deepEqual(await list(dir), [], `abort after ${after} checks`);
      }
    });
  });

  test('other link errors are not mistaken for "unsupported"', async () => {
    const realLink = fsPromises.link;
    fsPromises.link = async () => {
      throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
    };
    try {
      await assert.rejects(
        saveImages({ dir: tmp, names: ['a.png'], images: [bytes(1)] }),
        isKind('io', /no space left on device \(ENOSPC\)$/),
      );
    } finally {
      fsPromises.link = realLink;
    }
    assert.deepEqual(await list(), []);
  });

  test('bad arguments are validation errors', async () => {
    await assert.rejects(saveImages({ dir: tmp, names: ['a.png'], images: [] }), isKind('validation'));
    for (const name of ['', '.', '..', 'a/b.png', 'a\\b.png', '../x.png']) {
      await assert.rejects(saveImages({ dir: tmp, names: [name], images: [bytes(1)] }), isKind('validation'), name);
    }
    assert.deepEqual(await list(), []);
  });
});
