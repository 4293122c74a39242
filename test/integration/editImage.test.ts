import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GenerationOutcome } from '../../src/generation/generationService';
import { maskPng, photoPng } from '../fixtures/editImages';
import { closeAllEditors, emptyDir, listImages, openFile, testApi, useFixtureServer, workspaceRoot } from './helpers';

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

suite('Edit Image… (issue #13): beside the original, never overwriting, lineage, Replace Link', () => {
  const server = useFixtureServer({ key: 'sk-edit-key', settings: { quality: 'low' } });
  let assets: string;
  let hero: string;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'pictures');
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    emptyDir(assets);
  });

  setup(() => {
    emptyDir(assets);
    fs.mkdirSync(assets, { recursive: true });
    hero = path.join(assets, 'hero shot.png');
    fs.writeFileSync(hero, photoPng(64, 48));
    server().reset();
  });

  const edit = (args: Record<string, unknown>): Thenable<GenerationOutcome | undefined> =>
    vscode.commands.executeCommand<GenerationOutcome | undefined>('gptImage.editImage', { images: [vscode.Uri.file(hero)], then: 'none', ...args });

  test('saves <original>-edit-<time>.png beside the original, three times in the same second, never overwriting', async () => {
    const before = sha(hero);
    const outcomes = [await edit({ prompt: 'Add a red hat' }), await edit({ prompt: 'Add a red hat' }), await edit({ prompt: 'Add a blue hat' })];
    const files = outcomes.map((outcome) => outcome?.files[0]?.fsPath);
    for (const file of files) {
      assert.ok(file, 'each edit saved a file');
      assert.equal(path.dirname(file), assets, 'beside the original');
      assert.match(path.basename(file), /^hero shot-edit-\d{8}-\d{6}(-\d+)?\.png$/);
    }
    assert.equal(new Set(files).size, 3, `three distinct files: ${files.join(', ')}`);
    assert.equal(sha(hero), before, 'the original is untouched');
    assert.equal(listImages(assets).length, 4);
    assert.deepEqual(server().requests.map((request) => request.url), ['/v1/images/edits', '/v1/images/edits', '/v1/images/edits']);
    const image = server().requests[0].parts?.find((part) => part.name === 'image');
    assert.equal(image?.filename, 'hero-shot.png');
    assert.equal(image?.sha256, before);
  });

  test('the history records the parents and the mask of an edit', async () => {
    const mask = path.join(assets, 'hero-mask.png');
    fs.writeFileSync(mask, maskPng(64, 48, (x) => x < 20));
    const ref = path.join(assets, 'style.png');
    fs.writeFileSync(ref, photoPng(32, 32));
    const outcome = await edit({ prompt: 'Sky at night', images: [vscode.Uri.file(hero), vscode.Uri.file(ref)], mask: vscode.Uri.file(mask) });
    assert.ok(outcome, 'the edit ran');
    const entry = (await testApi()).history.list()[0];
    assert.equal(entry?.id, outcome.entry.id);
    assert.deepEqual(entry.parents, ['pictures/hero shot.png', 'pictures/style.png']);
    assert.equal(entry.mask, 'pictures/hero-mask.png');
    assert.equal(entry.prompt, 'Sky at night');
    assert.deepEqual(entry.files, [`pictures/${path.basename(outcome.files[0].fsPath)}`]);
    const names = server().requests[0].parts?.map((part) => part.name) ?? [];
    assert.deepEqual(names.slice(0, 8), ['model', 'prompt', 'image[]', 'image[]', 'mask', 'n', 'size', 'quality']);
    assert.ok(!names.includes('input_fidelity') && !names.includes('moderation'), names.join(', '));
  });

  test('Replace Link points every link to the original at the edit as one undoable edit', async () => {
    const text = '# Doc\n\n![hero](<pictures/hero shot.png>)\n\nText ![again](pictures/hero%20shot.png "t")\n\n<img src="pictures/hero shot.png">\n![other](pictures/style.png)\n';
    const editor = await openFile('edit-replace.md', text);
    const outcome = await edit({ prompt: 'Make it sunny', then: 'replaceLink' });
    assert.ok(outcome);
    const name = path.basename(outcome.files[0].fsPath);
    const encoded = encodeURIComponent(name);
    assert.equal(
      editor.document.getText(),
      `# Doc\n\n![hero](<pictures/${name}>)\n\nText ![again](pictures/${encoded} "t")\n\n<img src="pictures/${name}">\n![other](pictures/style.png)\n`,
    );
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), text, 'one Undo restores every link');
    await editor.document.save();
  });

  test('a bad mask is refused before anything is sent; nothing is saved', async () => {
    const mask = path.join(assets, 'small-mask.png');
    fs.writeFileSync(mask, maskPng(32, 32, (x) => x < 5));
    const outcome = await edit({ prompt: 'Hat', mask: vscode.Uri.file(mask) });
    assert.equal(outcome, undefined);
    assert.equal(server().requests.length, 0, 'nothing was sent');
    assert.deepEqual(listImages(assets).sort(), ['hero shot.png', 'small-mask.png']);
  });
});
