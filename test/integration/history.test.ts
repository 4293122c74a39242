import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAllEditors, emptyDir, listImages, openFile, testApi, useFixtureServer, waitFor, workspaceRoot } from './helpers';

suite('One workspace history: palette generations are recorded (issue #10)', () => {
  useFixtureServer({ key: 'sk-history-key', settings: { insertAfterGenerate: 'never' } });
  let assets: string;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'assets');
  });

  suiteTeardown(closeAllEditors);

  setup(() => emptyDir(assets));

  test('Generate Image… records one entry with request id and usage; deleting the file prunes it', async () => {
    const api = await testApi();
    await openFile('history.md', '# History\n');
    let changes = 0;
    const listener = api.generation.onDidChangeHistory(() => changes++);
    try {
      const before = api.history.list().length;
      await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A lighthouse at dusk' });
      const [file] = listImages(assets);
      assert.ok(file, 'an image was saved');

      const entries = api.history.list();
      assert.equal(entries.length, before + 1, 'exactly one new entry');
      const entry = entries[0]!;
      assert.equal(entry.prompt, 'A lighthouse at dusk');
      assert.deepEqual(entry.files, [`assets/${file}`]);
      assert.equal(entry.folder, vscode.workspace.workspaceFolders?.[0]?.name);
      assert.match(entry.requestId ?? '', /^req_/, 'the server request id is kept');
      assert.ok((entry.usage?.totalTokens ?? 0) > 0, `usage kept: ${JSON.stringify(entry.usage)}`);
      assert.equal(entry.options.n, 1);
      assert.ok(changes >= 1, 'onDidChangeHistory fired');
      assert.deepEqual(api.generation.historyEntries()[0], entry, 'the service reads the same history');

      // Deleted as the Explorer deletes (a workspace edit; the Studio is closed): the entry is pruned.
      // (A delete outside VS Code reaches the same prune through the file watcher, whose events can lag
      // here by seconds, so this test uses the deterministic path.)
      const edit = new vscode.WorkspaceEdit();
      edit.deleteFile(vscode.Uri.file(path.join(assets, file)));
      assert.ok(await vscode.workspace.applyEdit(edit), 'the file was deleted');
      assert.equal(fs.existsSync(path.join(assets, file)), false);
      await waitFor('the entry to be pruned', () => (api.history.get(entry.id) === undefined ? true : undefined), 10_000);
    } finally {
      listener.dispose();
    }
  });
});
