import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageApiError } from '../../src/core/errors';
import {
  dirnameOf,
  isInside,
  resolveAssetsDir,
  resolveAssetsDirReal,
  staysInsideRealSync,
  toPosixRelative,
} from '../../src/core/paths';

function isRefusal(e: unknown): boolean {
  return (
    e instanceof ImageApiError &&
    e.kind === 'validation' &&
    e.param === 'assetsFolder' &&
    e.message.startsWith('The assets folder (')
  );
}

suite('isInside', () => {
  test('POSIX paths compare by segment', () => {
    assert.equal(isInside('/ws', '/ws'), true);
    assert.equal(isInside('/ws', '/ws/'), true);
    assert.equal(isInside('/ws', '/ws/a/b.png'), true);
    assert.equal(isInside('/ws/', '/ws/a'), true);
    assert.equal(isInside('/ws', '/ws/..foo/x'), true);
    assert.equal(isInside('/ws', '/ws-old/a'), false);
    assert.equal(isInside('/ws', '/'), false);
    assert.equal(isInside('/ws', '/ws/../etc'), false);
    assert.equal(isInside('/ws/a', '/ws'), false);
  });

  test('Windows paths compare case-insensitively and per drive', () => {
    assert.equal(isInside('C:\\Work\\Site', 'c:\\work\\site\\assets\\x.png'), true);
    assert.equal(isInside('C:\\Work\\Site', 'C:/Work/Site/assets'), true);
    assert.equal(isInside('C:\\Work\\Site', 'C:\\Work\\Site2'), false);
    assert.equal(isInside('C:\\Work', 'D:\\Work\\x'), false);
  });
});

suite('toPosixRelative', () => {
  test('POSIX', () => {
    assert.equal(toPosixRelative('/ws/docs', '/ws/assets/a.png'), '../assets/a.png');
    assert.equal(toPosixRelative('/ws', '/ws/assets/a.png'), 'assets/a.png');
    assert.equal(toPosixRelative('/ws/assets', '/ws/assets/a.png'), 'a.png');
    assert.equal(toPosixRelative('/ws/My Docs/ü', '/ws/as sets/(1).png'), '../../as sets/(1).png');
  });

  test('Windows never yields backslashes; another drive has no relative path', () => {
    assert.equal(toPosixRelative('C:\\ws\\docs', 'C:\\ws\\assets\\a.png'), '../assets/a.png');
    assert.equal(toPosixRelative('C:\\ws', 'c:\\ws\\Assets\\a.png'), 'Assets/a.png');
    assert.equal(toPosixRelative('C:\\ws', 'D:\\assets\\a.png'), undefined);
    assert.equal(toPosixRelative('\\\\server\\share\\docs', '\\\\server\\share\\a.png'), '../a.png');
  });

  test('dirnameOf follows the path style', () => {
    assert.equal(dirnameOf('/ws/docs/readme.md'), '/ws/docs');
    assert.equal(dirnameOf('C:\\ws\\docs\\readme.md'), 'C:\\ws\\docs');
  });
});

suite('resolveAssetsDir', () => {
  const root = path.resolve('/work/site');

  test('relative folders, either slash', () => {
    assert.equal(resolveAssetsDir(root, 'assets'), path.join(root, 'assets'));
    assert.equal(resolveAssetsDir(root, 'docs/img'), path.join(root, 'docs', 'img'));
    assert.equal(resolveAssetsDir(root, 'docs\\img\\gen'), path.join(root, 'docs', 'img', 'gen'));
    assert.equal(resolveAssetsDir(root, './media/'), path.join(root, 'media'));
    assert.equal(resolveAssetsDir(root, ' My Images/é '), path.join(root, 'My Images', 'é'));
    assert.equal(resolveAssetsDir(root, 'a/../b'), path.join(root, 'b'));
    assert.equal(resolveAssetsDir(root, '..hidden'), path.join(root, '..hidden'));
  });

  test("'' and '.' are the root", () => {
    assert.equal(resolveAssetsDir(root, ''), root);
    assert.equal(resolveAssetsDir(root, '.'), root);
    assert.equal(resolveAssetsDir(root, './'), root);
    assert.equal(resolveAssetsDir(root, 'a/..'), root);
  });

  const refused: [string, RegExp][] = [
    ['/etc', /absolute/],
    ['\\\\server\\share', /absolute/],
    ['\\temp', /absolute/],
    ['C:\\Users\\me', /drive letter/],
    ['c:assets', /drive letter/],
    ['~/Pictures', /~/],
    ['~', /~/],
    ['..', /outside/],
    ['../sibling', /outside/],
    ['..\\sibling', /outside/],
    ['assets/../../x', /outside/],
    ['a/b/../../..', /outside/],
    ['a\0b', /NUL/],
    ['.git::$INDEX_ALLOCATION/hooks', /":" in a folder name/],
    ['assets/a:b', /":" in a folder name/],
  ];
  test('core names no setting; the label the caller passes starts the message', () => {
    assert.throws(() => resolveAssetsDir(root, '../x'), (e: unknown) => {
      assert.ok(e instanceof ImageApiError);
      assert.equal(e.message, 'The assets folder ("../x") points outside the workspace folder. Use a folder relative to the workspace folder, such as "assets".');
      assert.doesNotMatch(e.message, /gptImage|setting/);
      return true;
    });
    const field = { label: 'The setting host.folder', param: 'folder' };
    assert.throws(
      () => resolveAssetsDir(root, '/etc', field),
      (e: unknown) => e instanceof ImageApiError && e.param === 'folder' && e.message.startsWith('The setting host.folder ("/etc") is an absolute path.'),
    );
  });

  for (const [value, why] of refused) {
    test(`refuses ${JSON.stringify(value)}`, () => {
      assert.throws(
        () => resolveAssetsDir(root, value),
        (e: unknown) => isRefusal(e) && why.test((e as Error).message),
      );
    });
  }
});

suite('resolveAssetsDirReal', () => {
  let tmp: string;
  let root: string;
  let outside: string;

  setup(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-paths-'));
    root = path.join(tmp, 'work space');
    outside = path.join(tmp, 'outside');
    await fs.mkdir(path.join(root, 'docs', 'img'), { recursive: true });
    await fs.mkdir(outside);
  });

  teardown(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test('a folder named "..foo" is not mistaken for the way out of the root (review): no .git above the workspace refuses it', async () => {
    const under = path.join(tmp, '.git', 'work');
    await fs.mkdir(under, { recursive: true });
    assert.equal(await resolveAssetsDirReal(under, '..foo'), path.join(under, '..foo'));
    await assert.rejects(resolveAssetsDirReal(under, '.git/x'), /version control metadata/);
  });

  test('existing and missing folders inside the root are fine', async () => {
    assert.equal(await resolveAssetsDirReal(root, 'docs/img'), path.join(root, 'docs', 'img'));
    assert.equal(await resolveAssetsDirReal(root, 'new/deeper'), path.join(root, 'new', 'deeper'));
    assert.equal(await resolveAssetsDirReal(root, ''), root);
  });

  test('a symlink that stays inside is allowed, and the lexical path is returned', async () => {
    await fs.symlink(path.join(root, 'docs'), path.join(root, 'link'));
    assert.equal(await resolveAssetsDirReal(root, 'link/img'), path.join(root, 'link', 'img'));
  });

  test('a symlinked workspace root itself is fine', async () => {
    const alias = path.join(tmp, 'alias');
    await fs.symlink(root, alias);
    assert.equal(await resolveAssetsDirReal(alias, 'docs'), path.join(alias, 'docs'));
  });

  test('a symlink pointing outside is refused, also for folders below it', async () => {
    await fs.symlink(outside, path.join(root, 'escape'));
    for (const value of ['escape', 'escape/sub/dir', 'docs/../escape']) {
      await assert.rejects(resolveAssetsDirReal(root, value), (e: unknown) => {
        return isRefusal(e) && /symbolic link/.test((e as Error).message);
      });
    }
  });

  test('a broken symlink is refused', async () => {
    await fs.symlink(path.join(tmp, 'nowhere'), path.join(root, 'dangling'));
    await assert.rejects(resolveAssetsDirReal(root, 'dangling/x'), (e: unknown) => {
      return isRefusal(e) && /broken symbolic link/.test((e as Error).message);
    });
  });

  test('a file in the way is refused', async () => {
    await fs.writeFile(path.join(root, 'file.txt'), 'x');
    for (const value of ['file.txt', 'file.txt/sub']) {
      await assert.rejects(resolveAssetsDirReal(root, value), (e: unknown) => {
        return isRefusal(e) && /file, not a folder/.test((e as Error).message);
      });
    }
  });

  test('issue #12: a folder swapped for a link into .git after the first resolve is refused on the second', async () => {
    await fs.mkdir(path.join(root, '.git', 'hooks'), { recursive: true });
    assert.equal(await resolveAssetsDirReal(root, 'docs/img'), path.join(root, 'docs', 'img'), 'the first resolve (the confirmation) passes');
    await fs.rename(path.join(root, 'docs', 'img'), path.join(root, 'docs', 'img-old'));
    await fs.symlink(path.join(root, '.git', 'hooks'), path.join(root, 'docs', 'img'));
    for (const value of ['docs/img', 'docs/img/not/yet']) {
      await assert.rejects(resolveAssetsDirReal(root, value), (e: unknown) => {
        assert.ok(isRefusal(e), String(e));
        assert.match((e as Error).message, /leads into version control metadata \(".git"\) through a symbolic link, where images are never saved/);
        return true;
      });
    }
    // A dangling link into .git (refused as broken) and the plain name are refused as well.
    await fs.symlink(path.join(root, '.git', 'newdir'), path.join(root, 'dangling-git'));
    await assert.rejects(resolveAssetsDirReal(root, 'dangling-git/x'), isRefusal);
    await assert.rejects(resolveAssetsDirReal(root, '.git/hooks'), (e: unknown) => isRefusal(e) && /metadata \(".git"\), where/.test((e as Error).message));
    assert.deepEqual(await fs.readdir(path.join(root, '.git', 'hooks')), []);
  });

  test('lexical refusals come first', async () => {
    await assert.rejects(resolveAssetsDirReal(root, '../outside'), isRefusal);
  });

  test('a missing workspace root is an io error', async () => {
    await assert.rejects(
      resolveAssetsDirReal(path.join(tmp, 'missing'), 'assets'),
      (e: unknown) => e instanceof ImageApiError && e.kind === 'io',
    );
  });
});

suite('paths: staysInsideRealSync', () => {
  let root: string;
  let outside: string;

  setup(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-real-'));
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-outside-'));
  });

  teardown(async () => {
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  test('a plain folder, existing or not yet created, stays inside', async () => {
    await fs.mkdir(path.join(root, 'assets'));
    assert.equal(staysInsideRealSync(root, path.join(root, 'assets')), true);
    assert.equal(staysInsideRealSync(root, path.join(root, 'not', 'yet')), true);
    assert.equal(staysInsideRealSync(root, root), true);
  });

  test('a symlink out of the folder does not, nor does anything below it', async () => {
    await fs.symlink(outside, path.join(root, 'assets'));
    assert.equal(staysInsideRealSync(root, path.join(root, 'assets')), false);
    assert.equal(staysInsideRealSync(root, path.join(root, 'assets', 'sub', 'dir')), false);
  });

  test('a missing root cannot be vouched for', () => {
    assert.equal(staysInsideRealSync(path.join(root, 'gone'), path.join(root, 'gone', 'assets')), false);
  });
});
