import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readImageFileInfo } from '../../src/core/provenance/imageFileInfo';
import type { GenerationOutcome } from '../../src/generation/generationService';
import { discardOthers, toggleKeep, type VariantDeps } from '../../src/studio/variantActions';
import { photoPng } from '../fixtures/editImages';
import { emptyDir, listImages, testApi, useFixtureServer, workspaceRoot } from './helpers';

/** Keep / Discard the others through the real history and workspace.fs (issue #13), and stamped edits. */
suite('Variants (issue #13): Keep, Discard the others, history updated; edits stamped', () => {
  useFixtureServer({ key: 'sk-variants', settings: { quality: 'low' } });
  let dir: string;
  const questions: string[] = [];

  suiteSetup(() => {
    dir = path.join(workspaceRoot(), 'variants');
  });
  suiteTeardown(() => emptyDir(dir));
  setup(() => {
    emptyDir(dir);
    fs.mkdirSync(dir, { recursive: true });
    questions.length = 0;
  });

  async function generateThree(): Promise<GenerationOutcome> {
    const api = await testApi();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const request = api.generation.buildRequest('Three owls', { n: 3, size: '1024x1024' }, folder);
    return api.generation.generate(request, { kind: 'assets', workspaceRoot: folder.fsPath, assetsFolder: 'variants' }, new AbortController().signal, folder, undefined, {
      confirmCost: false,
    });
  }

  /** Answers every modal with `answers[action]` and records the questions. */
  const deps = async (answers: Record<string, boolean>, fsOverride?: VariantDeps['fs']): Promise<VariantDeps> => ({
    generation: (await testApi()).generation,
    confirm: async (message, _detail, action) => {
      questions.push(message);
      return answers[action] ?? false;
    },
    ...(fsOverride && { fs: fsOverride }),
  });

  test('Keep one of three, Discard the others: the two go to the trash or, where it is unavailable, after a second question', async () => {
    const outcome = await generateThree();
    assert.equal(listImages(dir).length, 3);
    const id = outcome.entry.id;
    const d = await deps({ 'Move to Trash': true, 'Delete Permanently': true });
    assert.match(await toggleKeep(d, { id, index: 1 }), /^Kept .*\.png\. Discard the others/);
    const history = (await testApi()).history;
    assert.deepEqual(history.get(id)?.kept, [outcome.entry.files[1]]);
    const message = await discardOthers(d, id);
    assert.equal(questions[0], 'Move 2 images of this generation to the trash?');
    assert.deepEqual(listImages(dir), [path.basename(outcome.files[1].fsPath)], 'only the kept image is left in the workspace');
    if (questions.length === 1) {
      assert.match(message, /^Moved 2 images to the trash: restore them from there to undo\.$/);
    } else {
      // code-server's file system has no trash: said so, asked, then deleted.
      assert.match(questions[1], /^The trash is not available for 2 images \(.+\)\. Delete permanently instead\? This cannot be undone\.$/);
      assert.equal(message, 'Deleted 2 images permanently.');
    }
    assert.deepEqual(history.get(id)?.files, [outcome.entry.files[1]]);
    assert.deepEqual(history.get(id)?.kept, [outcome.entry.files[1]]);
  });

  test('without the trash, declining permanent deletion leaves every file and the history as they were', async () => {
    const outcome = await generateThree();
    const id = outcome.entry.id;
    const noTrash: VariantDeps['fs'] = {
      stat: (uri) => vscode.workspace.fs.stat(uri),
      delete: (uri, options) => (options?.useTrash ? Promise.reject(new Error('no trash on this system')) : vscode.workspace.fs.delete(uri, options)),
    };
    const d = await deps({ 'Move to Trash': true, 'Delete Permanently': false }, noTrash);
    await toggleKeep(d, { id, index: 0 });
    const message = await discardOthers(d, id);
    assert.equal(questions[1], 'The trash is not available for 2 images (no trash on this system). Delete permanently instead? This cannot be undone.');
    assert.match(message, /^Left 2 images in place: variants\/.+\.png, variants\/.+\.png\.$/);
    assert.equal(listImages(dir).length, 3);
    assert.equal((await testApi()).history.get(id)?.files.length, 3);
  });

  test('with a trash (desktop), Discard the others asks once and says where the files went', async () => {
    const outcome = await generateThree();
    const id = outcome.entry.id;
    // A file system whose trash works, as on desktop: a trashed file moves into a folder outside the workspace.
    const trash = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-trash-'));
    const trashed: string[] = [];
    const withTrash: VariantDeps['fs'] = {
      stat: (uri) => vscode.workspace.fs.stat(uri),
      delete: async (uri, options) => {
        assert.equal(options?.useTrash, true, 'never deleted permanently without asking');
        fs.renameSync(uri.fsPath, path.join(trash, path.basename(uri.fsPath)));
        trashed.push(path.basename(uri.fsPath));
      },
    };
    const d = await deps({ 'Move to Trash': true, 'Delete Permanently': true }, withTrash);
    await toggleKeep(d, { id, index: 2 });
    assert.equal(await discardOthers(d, id), 'Moved 2 images to the trash: restore them from there to undo.');
    assert.deepEqual(questions, ['Move 2 images of this generation to the trash?']);
    assert.deepEqual(trashed.sort(), outcome.files.slice(0, 2).map((uri) => path.basename(uri.fsPath)).sort());
    assert.deepEqual(listImages(dir), [path.basename(outcome.files[2].fsPath)]);
    assert.deepEqual((await testApi()).history.get(id)?.files, [outcome.entry.files[2]]);
  });

  test('nothing kept, or the dialog dismissed: nothing is discarded', async () => {
    const outcome = await generateThree();
    const d = await deps({});
    assert.match(await discardOthers(d, outcome.entry.id), /^Keep at least one image/);
    await toggleKeep(d, { id: outcome.entry.id, index: 2 });
    assert.equal(await discardOthers(d, outcome.entry.id), 'Nothing was discarded.');
    assert.equal(listImages(dir).length, 3);
  });

  test('a history entry naming a file outside the workspace never has it deleted', async () => {
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gis-variants-')), 'private.png');
    fs.writeFileSync(outside, photoPng(8, 8));
    fs.writeFileSync(path.join(dir, 'a.png'), photoPng(8, 8));
    const api = await testApi();
    const folder = vscode.workspace.workspaceFolders![0];
    await api.history.add({
      id: 'hand-made',
      prompt: 'p',
      options: { size: '1024x1024', quality: 'low', n: 2, outputFormat: 'png', background: 'auto' },
      model: 'gpt-image-2',
      folder: folder.name,
      files: ['variants/a.png', outside],
      kept: ['variants/a.png'],
      createdAt: Date.now(),
    });
    const message = await discardOthers(await deps({ 'Move to Trash': true, 'Delete Permanently': true }), 'hand-made');
    assert.match(message, /Left alone \(not a file inside the workspace\): private\.png\.$/);
    assert.equal(questions.length, 0, 'nothing to ask about');
    assert.ok(fs.existsSync(outside));
  });

  async function handMade(files: string[], kept: string[]): Promise<void> {
    await (await testApi()).history.add({
      id: 'hand-made-2',
      prompt: 'p',
      options: { size: '1024x1024', quality: 'low', n: 2, outputFormat: 'png', background: 'auto' },
      model: 'gpt-image-2',
      folder: vscode.workspace.workspaceFolders![0].name,
      files,
      kept,
      createdAt: Date.now(),
    });
  }
  const trashSpy = (deleted: string[]): VariantDeps['fs'] => ({
    stat: (uri) => vscode.workspace.fs.stat(uri),
    delete: async (uri) => void deleted.push(uri.fsPath),
  });

  test('hostile review L1: a folder replaced by a symlink to outside the workspace never leads the trash there', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-link-'));
    fs.writeFileSync(path.join(outside, 'b.png'), photoPng(8, 8));
    fs.writeFileSync(path.join(dir, 'a.png'), photoPng(8, 8));
    fs.symlinkSync(outside, path.join(dir, 'linked'));
    await handMade(['variants/a.png', 'variants/linked/b.png'], ['variants/a.png']);
    const deleted: string[] = [];
    const message = await discardOthers(await deps({ 'Move to Trash': true, 'Delete Permanently': true }, trashSpy(deleted)), 'hand-made-2');
    assert.deepEqual(deleted, []);
    assert.match(message, /Left alone \(not a file inside the workspace\): b\.png\.$/);
    assert.ok(fs.existsSync(path.join(outside, 'b.png')));
  });

  test('hostile review L2: `variants/./a.png` aliasing the kept `variants/a.png` is not discarded', async () => {
    fs.writeFileSync(path.join(dir, 'a.png'), photoPng(8, 8));
    fs.writeFileSync(path.join(dir, 'c.png'), photoPng(8, 8));
    await handMade(['variants/a.png', 'variants/./a.png', 'variants/c.png'], ['variants/a.png']);
    const deleted: string[] = [];
    await discardOthers(await deps({ 'Move to Trash': true }, trashSpy(deleted)), 'hand-made-2');
    assert.deepEqual(deleted, [path.join(dir, 'c.png')]);
  });

  test('hostile review L3: a permission error is not offered permanent deletion; a file gone meanwhile counts as gone; one discard at a time', async () => {
    const outcome = await generateThree();
    const id = outcome.entry.id;
    let calls = 0;
    const flaky: VariantDeps['fs'] = {
      stat: (uri) => vscode.workspace.fs.stat(uri),
      delete: async (uri) => {
        if (calls++ === 0) throw vscode.FileSystemError.NoPermissions(uri);
        fs.unlinkSync(uri.fsPath);
        throw vscode.FileSystemError.FileNotFound(uri);
      },
    };
    let release: () => void = () => undefined;
    let asked: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (asked = resolve));
    const d: VariantDeps = {
      generation: (await testApi()).generation,
      fs: flaky,
      confirm: async (message, _detail, action) => {
        questions.push(message);
        if (action === 'Move to Trash') await new Promise<void>((resolve) => ((release = resolve), asked()));
        return action === 'Move to Trash';
      },
    };
    await toggleKeep(d, { id, index: 2 });
    const first = discardOthers(d, id);
    await reached;
    assert.equal(await discardOthers(d, id), 'Discard the others is already running for this generation.');
    release();
    const message = await first;
    assert.deepEqual(questions, ['Move 2 images of this generation to the trash?'], 'no "delete permanently?" for a permission error');
    assert.match(message, /^1 image was gone already\. Left 1 image in place: variants\/.+\.png\.$/);
    assert.equal((await testApi()).history.get(id)?.files.length, 2, 'the gone file left the history');
  });

  test('an edit result carries the prompt and its parent in the PNG (gptImage.embedPrompt)', async () => {
    const hero = path.join(dir, 'hero.png');
    fs.writeFileSync(hero, photoPng(64, 48));
    const outcome = await vscode.commands.executeCommand<GenerationOutcome | undefined>('gptImage.editImage', {
      images: [vscode.Uri.file(hero)],
      prompt: 'Add a lantern',
      then: 'none',
    });
    assert.ok(outcome?.files[0]);
    const info = await readImageFileInfo(outcome.files[0].fsPath);
    assert.equal(info.provenance?.prompt, 'Add a lantern');
    assert.deepEqual(info.provenance?.parents, ['variants/hero.png']);
    assert.deepEqual(fs.readFileSync(hero), photoPng(64, 48), 'the parent is untouched');
  });
});
