import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseGenerateInput } from '../../src/core/agentInput';
import { colonSegment, realVcsSegment, vcsSegment } from '../../src/core/vcsGuard';

suite('vcsGuard: agent paths never lead into .git (issue #12 review)', () => {
  let root = '';

  suiteSetup(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-image-vcs-'));
    fs.mkdirSync(path.join(root, '.git', 'hooks'), { recursive: true });
    fs.mkdirSync(path.join(root, 'docs', 'assets'), { recursive: true });
    fs.symlinkSync(path.join(root, '.git'), path.join(root, 'docs', 'innocent'), 'dir');
    fs.symlinkSync(path.join(root, '.git', 'hooks'), path.join(root, 'hooks-link'), 'dir');
    fs.symlinkSync(path.join(root, 'docs'), path.join(root, 'docs-link'), 'dir');
  });

  suiteTeardown(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a symlinked folder pointing into .git is caught on its real path, existing or not below it', () => {
    assert.equal(vcsSegment('docs/innocent/hooks'), undefined, 'the lexical check alone cannot see it');
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'innocent')), '.git');
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'innocent', 'hooks')), '.git');
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'innocent', 'not', 'yet', 'made')), '.git', 'deepest existing ancestor resolved');
    assert.equal(realVcsSegment(root, path.join(root, 'hooks-link', 'pre-commit')), '.git');
  });

  test('hostile review L3: a dangling link into .git (target not made yet) is followed, relative or absolute; a loop does not hang', () => {
    fs.symlinkSync('.git/newdir', path.join(root, 'dangling-rel'));
    fs.symlinkSync(path.join(root, '.git', 'a', 'b'), path.join(root, 'docs', 'dangling-abs'));
    fs.symlinkSync('../dangling-rel', path.join(root, 'docs', 'chain'));
    fs.symlinkSync('loop-b', path.join(root, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(root, 'loop-b'));
    assert.equal(vcsSegment('dangling-rel/b'), undefined, 'the lexical check alone cannot see it');
    assert.equal(realVcsSegment(root, path.join(root, 'dangling-rel', 'b')), '.git');
    assert.equal(realVcsSegment(root, path.join(root, 'dangling-rel')), '.git');
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'dangling-abs', 'c.png')), '.git');
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'chain', 'x')), '.git', 'a link to a dangling link');
    assert.equal(realVcsSegment(root, path.join(root, 'loop-a', 'x')), undefined, 'a loop falls back to the lexical check');
    fs.symlinkSync('missing-folder', path.join(root, 'docs', 'dangling-safe'));
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'dangling-safe', 'y')), undefined);
  });

  test('ordinary folders, and links that stay out of .git, pass', () => {
    assert.equal(realVcsSegment(root, path.join(root, 'docs', 'assets')), undefined);
    assert.equal(realVcsSegment(root, path.join(root, 'docs-link', 'assets', 'new')), undefined);
    assert.equal(realVcsSegment(root, path.join(root, 'images')), undefined);
    assert.equal(realVcsSegment(root, root), undefined);
  });

  test('a workspace opened through a symlink compares against its real path', () => {
    const alias = `${root}-alias`;
    fs.symlinkSync(root, alias, 'dir');
    try {
      assert.equal(realVcsSegment(alias, path.join(alias, 'docs', 'assets')), undefined);
      assert.equal(realVcsSegment(alias, path.join(alias, 'docs', 'innocent', 'x')), '.git');
    } finally {
      fs.unlinkSync(alias);
    }
  });

  test('":" is refused in any segment but a leading drive letter', () => {
    assert.equal(colonSegment('C:\\ws\\assets'), undefined);
    assert.equal(colonSegment('c:/ws/assets'), undefined);
    assert.equal(colonSegment('assets/images'), undefined);
    assert.equal(colonSegment('.git::$INDEX_ALLOCATION/hooks'), '.git::$INDEX_ALLOCATION');
    assert.equal(colonSegment('assets/C:/Windows'), 'C:');
    assert.equal(colonSegment('assets/notes.md:hidden'), 'notes.md:hidden');
    assert.equal(colonSegment('C:stream'), 'C:stream', 'a drive-relative path is no leading drive letter');
  });

  test('the agent input refuses a mid-path colon before anything is shown', () => {
    assert.throws(
      () => parseGenerateInput({ prompt: 'a fox', folder: 'assets/.git::$INDEX_ALLOCATION' }),
      (error: Error & { param?: string }) => error.param === 'folder' && /":" inside the path/.test(error.message),
    );
    assert.throws(() => parseGenerateInput({ prompt: 'a fox', linkFrom: 'docs/x.md:evil' }), /":" inside the path/);
    assert.equal(parseGenerateInput({ prompt: 'a fox', folder: 'assets/new' }).folder, 'assets/new');
  });
});
