import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAllEditors, emptyDir, listImages, openFile, setUserSetting, useFixtureServer, waitFor, workspaceRoot } from './helpers';

/** Issue #15 §1: the result of Generate Image… is seen without relying on a toast. */
suite('Generate Image… results are seen (issue #15)', () => {
  // insertAfterGenerate: the default, not a value set by an earlier suite.
  useFixtureServer({ key: 'sk-results-key', settings: { insertAfterGenerate: undefined } });
  let assets: string;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'assets');
  });

  suiteTeardown(closeAllEditors);

  setup(async () => {
    emptyDir(assets);
    await closeAllEditors();
  });

  test('the default inserts at the cursor: one snippet, alt text selected, one undo takes it back', async () => {
    assert.equal(vscode.workspace.getConfiguration('gptImage').get('insertAfterGenerate'), 'always');
    const editor = await openFile('seen.md', '# Seen\n\nafter');
    editor.selection = new vscode.Selection(2, 0, 2, 0);
    await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A lighthouse at dusk' });
    const [file] = listImages(assets);
    const expected = `![A lighthouse at dusk](assets/${file})`;
    await waitFor('the link', () => (editor.document.getText().includes('![') ? true : undefined));
    assert.equal(editor.document.getText(), `# Seen\n\n${expected}\nafter`, "at the start of a non-empty line the link gets its own line");
    const active = vscode.window.activeTextEditor;
    assert.equal(active?.document, editor.document, 'the document is shown and focused');
    assert.equal(active.document.getText(active.selection), 'A lighthouse at dusk', 'the alt text is selected');

    await vscode.commands.executeCommand('undo');
    await waitFor('the undo', () => (editor.document.getText() === '# Seen\n\nafter' ? true : undefined));
  });

  test('with no editor open the image is opened', async () => {
    await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A paper boat' });
    const [file] = listImages(assets);
    const opened = await waitFor('the image tab', () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .find((tab) => tab.input instanceof vscode.TabInputCustom && tab.input.uri.fsPath === path.join(assets, file)),
    );
    assert.ok(opened.isActive);
  });

  test('"never" inserts nothing and leaves the editor in front', async () => {
    await setUserSetting('insertAfterGenerate', 'never');
    try {
      const editor = await openFile('never-seen.md', 'unchanged');
      await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A still pond' });
      assert.equal(listImages(assets).length, 1);
      assert.equal(editor.document.getText(), 'unchanged');
      assert.equal(vscode.window.activeTextEditor?.document, editor.document);
    } finally {
      await setUserSetting('insertAfterGenerate', undefined);
    }
  });

  test('"ask" inserts nothing by itself; with no editor it still opens the image', async () => {
    await setUserSetting('insertAfterGenerate', 'ask');
    try {
      const editor = await openFile('ask.md', 'unchanged');
      await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A quiet pond' });
      assert.equal(listImages(assets).length, 1);
      assert.equal(editor.document.getText(), 'unchanged');
      await closeAllEditors();
      emptyDir(assets);
      await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A quiet lake' });
      const [file] = listImages(assets);
      await waitFor('the image tab', () =>
        vscode.window.tabGroups.all
          .flatMap((group) => group.tabs)
          .find((tab) => tab.input instanceof vscode.TabInputCustom && tab.input.uri.fsPath === path.join(assets, file)),
      );
    } finally {
      await setUserSetting('insertAfterGenerate', undefined);
    }
  });
});
