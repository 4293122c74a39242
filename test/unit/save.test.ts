import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { renameSync, symlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageApiError } from '../../src/core/errors';
import { discardTempImage, saveImages, staleTempMs, tempPattern, writeTempImage } from '../../src/core/save';
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

  test('names taken by links to outside files (dangling, symbolic, hard) are skipped; nothing outside changes (review of #9)', async () => {
    const outside = path.join(tmp, 'outside');
    const dir = path.join(tmp, 'ws', 'assets');
    await fs.mkdir(outside);
    await fs.mkdir(dir, { recursive: true });
    await fs.symlink(path.join(outside, 'victim.png'), path.join(dir, 'a.png'));
    await fs.writeFile(path.join(outside, 'v2'), 'keep');
    await fs.symlink(path.join(outside, 'v2'), path.join(dir, 'a-1.png'));
    await fs.link(path.join(outside, 'v2'), path.join(dir, 'a-2.png'));
    const [file] = await saveImages({ dir, root: path.join(tmp, 'ws'), names: ['a.png'], images: [bytes(7)] });
    assert.equal(path.basename(file), 'a-3.png');
    assert.deepEqual(await fs.readdir(outside), ['v2']);
    assert.equal(await fs.readFile(path.join(outside, 'v2'), 'utf8'), 'keep');
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

    test('decided once per folder: each image is written once, link is tried once for all saves', async () => {
      const realOpen = fsPromises.open;
      let written = 0;
      fsPromises.open = (async (...args: Parameters<typeof realOpen>) => {
        const handle = await realOpen(...args);
        const realWriteFile = handle.writeFile.bind(handle);
        handle.writeFile = async (data: Parameters<typeof realWriteFile>[0]) => {
          written += (data as Uint8Array).length;
          return realWriteFile(data);
        };
        return handle;
      }) as typeof realOpen;
      try {
        await saveImages({ dir: tmp, names: ['a.png', 'b.png'], images: [bytes(1000), bytes(2000)] });
        await saveImages({ dir: tmp, names: ['a.png'], images: [bytes(3000)] });
      } finally {
        fsPromises.open = realOpen;
      }
      assert.equal(written, 6000, 'no image was written a second time after the link failed');
      assert.equal(linkCalls, 1);
      assert.deepEqual(await list(), ['a-1.png', 'a.png', 'b.png']);
      assert.equal((await fs.stat(path.join(tmp, 'a-1.png'))).size, 3000);
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

  test("Windows' answer for FAT and exFAT (ERROR_INVALID_FUNCTION, reported as EISDIR) means unsupported", async () => {
    const realLink = fsPromises.link;
    fsPromises.link = async () => {
      throw Object.assign(new Error('illegal operation on a directory'), { code: 'EISDIR' });
    };
    try {
      const saved = await saveImages({ dir: tmp, names: ['a.png'], images: [bytes(7)] });
      assert.deepEqual(saved, [path.join(tmp, 'a.png')]);
      assert.deepEqual(new Uint8Array(await fs.readFile(saved[0])), bytes(7));
    } finally {
      fsPromises.link = realLink;
    }
    assert.deepEqual(await list(), ['a.png']);
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

/** Is `e` an `io` or `validation` ImageApiError: a refusal, not a crash? */
function isRefusal(e: unknown): boolean {
  return e instanceof ImageApiError && (e.kind === 'io' || e.kind === 'validation');
}

/** Every file below `dir`, as relative paths; [] when `dir` is missing. Does not follow links. */
async function tree(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { recursive: true })).map(String).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

suite('saveImages: the folder is checked again when saving (issue #9, part 6)', () => {
  let tmp: string;
  let root: string;
  let outside: string;

  setup(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-race-'));
    root = path.join(tmp, 'work space');
    outside = path.join(tmp, 'outside');
    await fs.mkdir(root);
    await fs.mkdir(outside);
  });

  teardown(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const list = async (dir: string): Promise<string[]> => (await fs.readdir(dir)).sort();

  test('missing folders are created inside the root, and the paths stay as given', async () => {
    const dir = path.join(root, 'docs', 'img', 'gen');
    const saved = await saveImages({ dir, root, names: ['a.png'], images: [bytes(4)] });
    assert.deepEqual(saved, [path.join(dir, 'a.png')]);
    assert.deepEqual(await tree(root), ['docs', 'docs/img', 'docs/img/gen', 'docs/img/gen/a.png'].map(path.normalize));
  });

  test('an assets folder replaced by a symlink to outside is refused and nothing is written there', async () => {
    await fs.symlink(outside, path.join(root, 'assets'));
    await assert.rejects(
      saveImages({ dir: path.join(root, 'assets'), root, names: ['a.png'], images: [bytes(4)] }),
      (e: unknown) => isRefusal(e) && /leads outside the workspace folder through a symbolic link/.test(String(e)),
    );
    assert.deepEqual(await tree(outside), []);
  });

  test('a parent that was missing at check time and is now a symlink: no folder is made through it', async () => {
    await fs.symlink(outside, path.join(root, 'gen'));
    await assert.rejects(
      saveImages({ dir: path.join(root, 'gen', 'img', 'new'), root, names: ['a.png'], images: [bytes(4)] }),
      isRefusal,
    );
    assert.deepEqual(await tree(outside), [], 'mkdir -p would have made img/new out there');
  });

  test('a symlink that stays inside the root is fine', async () => {
    await fs.mkdir(path.join(root, 'media'));
    await fs.symlink(path.join(root, 'media'), path.join(root, 'assets'));
    const saved = await saveImages({ dir: path.join(root, 'assets', 'new'), root, names: ['a.png'], images: [bytes(4)] });
    assert.deepEqual(saved, [path.join(root, 'assets', 'new', 'a.png')]);
    assert.deepEqual(await list(path.join(root, 'media', 'new')), ['a.png']);
  });

  test('a symlinked root itself is fine', async () => {
    const alias = path.join(tmp, 'alias');
    await fs.symlink(root, alias);
    const saved = await saveImages({ dir: path.join(alias, 'assets'), root: alias, names: ['a.png'], images: [bytes(4)] });
    assert.deepEqual(saved, [path.join(alias, 'assets', 'a.png')]);
    assert.deepEqual(await list(path.join(root, 'assets')), ['a.png']);
  });

  test('a broken symlink in the way and a folder outside the root are refused', async () => {
    await fs.symlink(path.join(tmp, 'nowhere'), path.join(root, 'dangling'));
    await assert.rejects(
      saveImages({ dir: path.join(root, 'dangling', 'x'), root, names: ['a.png'], images: [bytes(4)] }),
      (e: unknown) => isRefusal(e) && /broken symbolic link/.test(String(e)),
    );
    await assert.rejects(saveImages({ dir: outside, root, names: ['a.png'], images: [bytes(4)] }), isKind('validation'));
    assert.deepEqual(await tree(outside), []);
    await assert.rejects(fs.stat(path.join(tmp, 'nowhere')));
  });

  /**
   * Swaps `dir` for a symlink to `outside` at the `at`-th look at the signal: the moments between the
   * steps of a save, each followed by a file operation that must notice.
   */
  function swapAt(at: number, dir: string): AbortSignal {
    let checks = 0;
    return {
      get aborted(): boolean {
        if (++checks === at) {
          renameSync(dir, `${dir}-moved`);
          symlinkSync(outside, dir);
        }
        return false;
      },
    } as unknown as AbortSignal;
  }

  for (const withRoot of [true, false]) {
    test(`a swap at any moment of the save writes nothing outside (${withRoot ? 'assets folder' : 'save dialog'})`, async () => {
      let completed = false;
      // Without a root, a swap before the save begins is the same as choosing a linked folder: allowed.
      for (let at = withRoot ? 1 : 2; !completed; at++) {
        const dir = path.join(root, `assets-${at}`);
        await fs.mkdir(dir);
        await fs.writeFile(path.join(dir, 'a.png'), 'old');
        try {
          await saveImages({
            dir,
            root: withRoot ? root : undefined,
            names: ['a.png', 'b.png'],
            images: [bytes(100), bytes(200)],
            signal: swapAt(at, dir),
          });
          // Only a swap after the last file operation lets the save finish; the files are in the moved folder.
          completed = true;
          assert.deepEqual(await list(`${dir}-moved`), ['a-1.png', 'a.png', 'b.png']);
        } catch (error) {
          assert.ok(isRefusal(error), `swap at ${at}: ${String(error)}`);
          assert.match(String(error), /symbolic link|replaced while saving/);
        }
        assert.deepEqual(await tree(outside), [], `swap at ${at}`);
        assert.equal(await fs.readFile(path.join(`${dir}-moved`, 'a.png'), 'utf8'), 'old');
        assert.ok(at < 100, 'saveImages keeps looking at the signal');
      }
    });
  }
});

suite('saveImages: a crash leaves no truncated image (issue #9, part 8)', () => {
  let tmp: string;

  setup(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-crash-'));
  });

  teardown(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const list = async (dir = tmp): Promise<string[]> => (await fs.readdir(dir)).sort();
  const ours = tempPattern;
  const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3600_000);

  /**
   * Runs `fn` with the clock `hours` ahead: the only way to age a file's ctime, which (unlike its mtime)
   * no utimes call can set back.
   */
  async function hoursLater<T>(hours: number, fn: () => Promise<T>): Promise<T> {
    const realNow = Date.now;
    Date.now = () => realNow() + hours * 3600_000;
    try {
      return await fn();
    } finally {
      Date.now = realNow;
    }
  }

  /**
   * Runs saveImages in a child process that hangs half-way through its `nth` file write, and kills it
   * there with SIGKILL: as close to pulling the plug as a test gets. Resolves once it is dead, or when
   * the save finished because it makes fewer writes.
   */
  async function saveInChildAndKill(dir: string, size: number, nth: number, links: boolean): Promise<'killed' | 'done'> {
    const script = path.join(tmp, 'child.js');
    await fs.writeFile(
      script,
      `const fsp = require('node:fs/promises');
const [savePath, dir, size, nth, links] = process.argv.slice(2);
if (links === 'no') fsp.link = async () => { throw Object.assign(new Error('not supported'), { code: 'ENOTSUP' }); };
const realOpen = fsp.open;
let writes = 0;
fsp.open = async (...args) => {
  const handle = await realOpen(...args);
  const realWriteFile = handle.writeFile.bind(handle);
  handle.writeFile = async (data) => {
    if (++writes !== Number(nth)) return realWriteFile(data);
    await handle.write(data.subarray(0, data.length >> 1));
    process.send('half');
    setInterval(() => undefined, 1000);
    return new Promise(() => undefined);
  };
  return handle;
};
require(savePath).saveImages({ dir, names: ['fox.png'], images: [Buffer.alloc(Number(size), 7)] })
  .then(() => process.send('done'), (error) => process.send(String(error)));
`,
    );
    const savePath = path.join(__dirname, '..', '..', 'src', 'core', 'save.js');
    const child = fork(script, [savePath, dir, String(size), String(nth), links ? 'yes' : 'no'], { stdio: 'ignore' });
    const [message] = (await once(child, 'message')) as [string];
    if (message === 'half') {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      return 'killed';
    }
    await once(child, 'exit');
    assert.equal(message, 'done');
    return 'done';
  }

  for (const links of [true, false]) {
    test(`killed during any write ${links ? 'with' : 'without'} hard links: the final name holds nothing partial`, async function () {
      // Three child processes: slow on a loaded 2-core machine, so more than the suite's 10 s.
      this.timeout(60_000);
      const size = 1_000_000;
      const outcomes: string[] = [];
      for (let nth = 1; nth <= 3; nth++) {
        const dir = path.join(tmp, `run-${nth}`);
        await fs.mkdir(dir);
        const outcome = await saveInChildAndKill(dir, size, nth, links);
        outcomes.push(outcome);
        const names = await list(dir);
        for (const name of names.filter((n) => !n.startsWith('.'))) {
          assert.equal((await fs.stat(path.join(dir, name))).size, size, `${name} after killing write ${nth}`);
        }
        if (outcome === 'killed') {
          // Only the hidden temp file is left; the image never appeared under its name.
          assert.equal(names.length, 1, names.join());
          assert.match(names[0], ours);
        } else {
          assert.deepEqual(names, ['fox.png']);
          assert.equal((await fs.stat(path.join(dir, 'fox.png'))).size, size);
        }
      }
      // One write per image: the first write is killed, the later runs finish without a second one.
      assert.deepEqual(outcomes, ['killed', 'done', 'done']);
    });
  }

  test("a crash's temp file is swept by the next save in that folder once it is an hour old", async () => {
    const outcome = await saveInChildAndKill(tmp, 100_000, 1, true);
    assert.equal(outcome, 'killed');
    const [leftover] = (await list()).filter((n) => ours.test(n));
    assert.ok(leftover);
    await saveImages({ dir: tmp, names: ['a.png'], images: [bytes(1)] });
    assert.ok((await list()).includes(leftover), 'a fresh temp file may be another save at work: kept');
    await fs.utimes(path.join(tmp, leftover), hoursAgo(2), hoursAgo(2));
    await saveImages({ dir: tmp, names: ['b.png'], images: [bytes(1)] });
    assert.ok((await list()).includes(leftover), 'an old mtime alone is not enough: the ctime is recent');
    await hoursLater(2, () => saveImages({ dir: tmp, names: ['c.png'], images: [bytes(1)] }));
    assert.deepEqual((await list()).filter((n) => n !== 'child.js'), ['a.png', 'b.png', 'c.png']);
  });

  test('temp names are short, hidden and of the exact pattern; none is left after a save', async () => {
    assert.equal(staleTempMs, 3600_000);
    const realOpen = fsPromises.open;
    const opened: string[] = [];
    fsPromises.open = (async (file: string, ...rest: unknown[]) => {
      opened.push(path.basename(file));
      return (realOpen as (...args: unknown[]) => Promise<fs.FileHandle>)(file, ...rest);
    }) as typeof fsPromises.open;
    try {
      await saveImages({ dir: tmp, names: ['x'.repeat(251) + '.png'], images: [bytes(3)] });
    } finally {
      fsPromises.open = realOpen;
    }
    const temps = opened.filter((name) => name.startsWith('.'));
    assert.equal(temps.length, 1, opened.join());
    assert.match(temps[0], ours);
    assert.equal(Buffer.byteLength(temps[0]), 27);
    assert.deepEqual((await list()).filter((n) => n.startsWith('.')), []);
  });

  test('the sweep removes only old regular files of our exact pattern', async () => {
    const old = hoursAgo(3);
    const keep = [
      '.gpt-image-0123456789ab.tmp.bak',
      '.gpt-image-0123456789AB.tmp',
      '.gpt-image-0123456789a.tmp',
      '.gpt-image-0123456789abc.tmp',
      'gpt-image-0123456789ab.tmp',
      '.gi-0123abcd.tmp', // the old, shorter pattern: not ours any more
      '.fox.png.0123456789ab.tmp',
      'notes.tmp',
      '.gpt-image-.tmp',
    ];
    const swept = '.gpt-image-000000000000.tmp';
    for (const name of [...keep, swept]) await fs.writeFile(path.join(tmp, name), name);
    for (const name of [...keep, swept]) await fs.utimes(path.join(tmp, name), old, old);
    // A folder and a symlink with our name are not files we wrote: kept, and the link's target too.
    await fs.mkdir(path.join(tmp, '.gpt-image-111111111111.tmp'));
    const target = path.join(tmp, 'target.txt');
    await fs.writeFile(target, 'precious');
    await fs.symlink(target, path.join(tmp, '.gpt-image-222222222222.tmp'));

    await hoursLater(3, () => saveImages({ dir: tmp, names: ['new.png'], images: [bytes(1)] }));
    assert.deepEqual(
      await list(),
      [...keep, '.gpt-image-111111111111.tmp', '.gpt-image-222222222222.tmp', 'new.png', 'target.txt'].sort(),
    );
    assert.equal(await fs.readFile(target, 'utf8'), 'precious');
  });

  test('a file of our pattern that was just checked out or unpacked is kept, whatever its mtime (review of #9, F4)', async () => {
    // A repository can ship `.gpt-image-….tmp`; git, tar and unzip can give it any mtime, never an old ctime.
    const theirs = path.join(tmp, 'assets', '.gpt-image-0badc0de0bad.tmp');
    await fs.mkdir(path.dirname(theirs));
    await fs.writeFile(theirs, 'a tracked file, not a temp of ours');
    await fs.utimes(theirs, hoursAgo(2), hoursAgo(2));
    await saveImages({ dir: path.dirname(theirs), root: tmp, names: ['a.png'], images: [bytes(1)] });
    assert.equal(await fs.readFile(theirs, 'utf8'), 'a tracked file, not a temp of ours');
    // The reviewer's name, of the old pattern, is not ours at all.
    const old = path.join(tmp, 'assets', '.gi-0badc0de.tmp');
    await fs.writeFile(old, 'tracked');
    await hoursLater(2, () => saveImages({ dir: path.dirname(old), root: tmp, names: ['b.png'], images: [bytes(1)] }));
    assert.equal(await fs.readFile(old, 'utf8'), 'tracked');
  });

  test('the sweep leaves a file of our pattern with a second hard link, and what it links to (review of #9, F4)', async () => {
    const precious = path.join(tmp, 'precious.png');
    await fs.writeFile(precious, 'precious');
    const linked = path.join(tmp, '.gpt-image-aaaaaaaaaaaa.tmp');
    await fs.link(precious, linked);
    await hoursLater(3, () => saveImages({ dir: tmp, names: ['new.png'], images: [bytes(1)] }));
    assert.equal(await fs.readFile(linked, 'utf8'), 'precious');
    assert.equal(await fs.readFile(precious, 'utf8'), 'precious');
    assert.equal((await fs.stat(precious)).nlink, 2);
  });

  test("the sweep leaves another user's file of our pattern (review of #9, F4)", async function () {
    if (typeof process.getuid !== 'function') this.skip(); // Windows: no user ids to compare
    const realGetuid = process.getuid;
    const file = path.join(tmp, '.gpt-image-bbbbbbbbbbbb.tmp');
    await fs.writeFile(file, 'theirs');
    const owner = (await fs.lstat(file)).uid;
    // Running as another user than the file's owner: only root could chown the file instead.
    process.getuid = () => owner + 1;
    try {
      await hoursLater(3, () => saveImages({ dir: tmp, names: ['new.png'], images: [bytes(1)] }));
    } finally {
      process.getuid = realGetuid;
    }
    assert.equal(await fs.readFile(file, 'utf8'), 'theirs');
    // As its owner, the same file is a stale leftover.
    await hoursLater(3, () => saveImages({ dir: tmp, names: ['new.png'], images: [bytes(1)] }));
    await assert.rejects(fs.access(file));
  });

  for (const links of [true, false]) {
    test(`names of 250 to 255 bytes work ${links ? 'with' : 'without'} hard links (temp names are short)`, async () => {
      const realLink = fsPromises.link;
      if (!links) {
        fsPromises.link = async () => {
          throw Object.assign(new Error('operation not supported'), { code: 'ENOTSUP' });
        };
      }
      try {
        const names = ['a'.repeat(246) + '.png', 'é'.repeat(125) + '.png', 'b'.repeat(251) + '.png'];
        assert.deepEqual(names.map((n) => Buffer.byteLength(n)), [250, 254, 255]);
        const images = [bytes(10), bytes(20), bytes(30)];
        const saved = await saveImages({ dir: tmp, names, images });
        assert.deepEqual(saved, names.map((n) => path.join(tmp, n)));
        for (let i = 0; i < 3; i++) assert.deepEqual(new Uint8Array(await fs.readFile(saved[i])), images[i]);
        // Taken: the -1 alternative of a 250-byte name is 252 bytes, still fine.
        const again = await saveImages({ dir: tmp, names: [names[0]], images: [bytes(5)] });
        assert.deepEqual(again, [path.join(tmp, 'a'.repeat(246) + '-1.png')]);
        assert.equal((await list()).length, 4, 'no temp files left');
      } finally {
        fsPromises.link = realLink;
      }
    });
  }

  for (const links of [true, false]) {
    test(`a taken 255-byte name gets a shorter alternative ${links ? 'with' : 'without'} hard links (review of #9, F5)`, async () => {
      const realLink = fsPromises.link;
      if (!links) {
        fsPromises.link = async () => {
          throw Object.assign(new Error('operation not supported'), { code: 'ENOTSUP' });
        };
      }
      try {
        const name = `${'h'.repeat(251)}.png`; // 255 bytes: a legal name the save dialog can return
        // й in NFD: и + U+0306, 4 bytes. 2 + 248 + 4 = 254 bytes; cut by code points, -1 would leave an и bare.
        const short = 'й'.normalize('NFD');
        const marked = `xx${short.repeat(62)}.png`;
        assert.deepEqual([Buffer.byteLength(name), Buffer.byteLength(marked)], [255, 254]);
        await saveImages({ dir: tmp, names: [name, marked], images: [bytes(1), bytes(2)] });
        const second = await saveImages({ dir: tmp, names: [name, marked], images: [bytes(3), bytes(4)] });
        const third = await saveImages({ dir: tmp, names: [name], images: [bytes(5)] });
        assert.deepEqual(second.map((f) => path.basename(f)), [`${'h'.repeat(249)}-1.png`, `xx${short.repeat(61)}-1.png`]);
        assert.deepEqual(third.map((f) => path.basename(f)), [`${'h'.repeat(249)}-2.png`]);
        for (const file of [...second, ...third]) assert.ok(Buffer.byteLength(path.basename(file)) <= 255);
        assert.deepEqual(new Uint8Array(await fs.readFile(second[0])), bytes(3));
        assert.deepEqual(new Uint8Array(await fs.readFile(third[0])), bytes(5));
        assert.equal((await list()).length, 5, 'no temp files left');
      } finally {
        fsPromises.link = realLink;
      }
    });
  }
});

suite('writeTempImage (L4: a file that gets its name only later, the Studio\'s painted mask)', () => {
  let dir: string;
  setup(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-staged-'));
  });
  teardown(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('writes a hidden temp file of ours (swept after a crash) that saveImages then places under its name, leaving no temp', async () => {
    const bytes = randomBytes(300);
    const staged = await writeTempImage(path.join(dir, 'assets'), bytes, dir);
    const before = await fs.readdir(path.join(dir, 'assets'));
    assert.equal(before.length, 1);
    assert.match(before[0], tempPattern, 'nothing under a visible name before it is placed');
    assert.deepEqual(await fs.readFile(staged.tempFile), bytes);
    const [placed] = await saveImages({ dir: path.join(dir, 'assets'), root: dir, names: ['a-mask.png'], images: [staged] });
    assert.equal(path.basename(placed), 'a-mask.png');
    assert.deepEqual(await fs.readFile(placed), bytes);
    assert.deepEqual(await fs.readdir(path.join(dir, 'assets')), ['a-mask.png']);
  });

  test('hostile review L1: a staged temp older than the sweep age survives saves in its folder (the edit\'s own results too) until placed', async () => {
    const assets = path.join(dir, 'assets');
    const bytes = randomBytes(200);
    const staged = await writeTempImage(assets, bytes, dir);
    const realNow = Date.now;
    // Two hours on: the results of a slow edit (retries, a confirmation left open) are saved beside it.
    Date.now = () => realNow() + 2 * staleTempMs;
    try {
      await saveImages({ dir: assets, root: dir, names: ['result.png'], images: [randomBytes(10)] });
    } finally {
      Date.now = realNow;
    }
    assert.deepEqual(await fs.readFile(staged.tempFile), bytes, 'the live temp was not swept');
    const [placed] = await saveImages({ dir: assets, root: dir, names: ['result-mask.png'], images: [staged] });
    assert.deepEqual(await fs.readFile(placed), bytes);
    await discardTempImage(staged); // placed already: nothing to do, nothing removed
    assert.deepEqual((await fs.readdir(assets)).sort(), ['result-mask.png', 'result.png']);
  });

  test('hostile review L2: discardTempImage removes the temp, but not through a folder swapped for a link', async () => {
    const assets = path.join(dir, 'assets');
    const first = await writeTempImage(assets, randomBytes(10), dir);
    await discardTempImage(first);
    assert.deepEqual(await fs.readdir(assets), []);

    const second = await writeTempImage(assets, randomBytes(10), dir);
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-elsewhere-'));
    try {
      // Someone else's file under the same name, where the folder now leads.
      await fs.writeFile(path.join(outside, path.basename(second.tempFile)), 'theirs');
      await fs.rename(assets, `${assets}-moved`);
      await fs.symlink(outside, assets, 'dir');
      await discardTempImage(second);
      assert.equal(await fs.readFile(path.join(outside, path.basename(second.tempFile)), 'utf8'), 'theirs');
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  test('refuses a folder outside the root and leaves nothing', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-outside-'));
    try {
      await assert.rejects(writeTempImage(outside, randomBytes(10), dir), ImageApiError);
      assert.deepEqual(await fs.readdir(outside), []);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});
