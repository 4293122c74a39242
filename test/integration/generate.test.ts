import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  closeAllEditors,
  emptyDir,
  isPng,
  listAll,
  listImages,
  openFile,
  setUserSetting,
  sleep,
  testApi,
  useFixtureServer,
  waitFor,
  workspaceRoot,
} from './helpers';

suite('Generate Image… against the fixture server', () => {
  const server = useFixtureServer({ key: 'sk-integration-key', settings: { insertAfterGenerate: 'always' } });
  let assets: string;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'assets');
  });

  suiteTeardown(closeAllEditors);

  setup(() => emptyDir(assets));

  test('writes a valid PNG into assets/ and inserts the Markdown link at the cursor', async () => {
    const editor = await openFile('notes.md', '# Notes\n\n');
    editor.selection = new vscode.Selection(2, 0, 2, 0);
    await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A beautiful sunset' });

    const files = listImages(assets);
    assert.equal(files.length, 1, `one image in assets/: ${files.join(', ')}`);
    assert.match(files[0], /^a-beautiful-sunset-\d{8}-\d{6}\.png$/);
    assert.ok(isPng(path.join(assets, files[0])), 'the file is a PNG');
    const text = await waitFor('the link in notes.md', () => {
      const current = editor.document.getText();
      return current.includes('![') ? current : undefined;
    });
    assert.equal(text, `# Notes\n\n![A beautiful sunset](assets/${files[0]})`);

    const sent = server().requests.at(-1)!;
    assert.equal(sent.headers.authorization, 'Bearer sk-integration-key');
    assert.deepEqual(sent.json, { model: 'gpt-image-2', prompt: 'A beautiful sunset', n: 1, size: '1024x1024', quality: 'auto', background: 'auto', output_format: 'png' });
  });

  test('a selection used as the prompt stays, the link goes on the next line', async () => {
    const editor = await openFile('selection.md', 'A red fox in the snow\nmore text\n');
    editor.selection = new vscode.Selection(0, 0, 0, 21);
    await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A red fox in the snow' });
    const [file] = listImages(assets);
    await waitFor('the link after the prompt line', () => (editor.document.getText().includes('![') ? true : undefined));
    assert.equal(editor.document.getText(), `A red fox in the snow\n![A red fox in the snow](assets/${file})\nmore text\n`);
  });

  test('a 401 leaves no file and reports an auth error', async () => {
    await openFile('auth.md', '');
    server().script({ status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const outcome = await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A cat' });
    assert.equal(outcome, undefined, 'the command reports failure');
    assert.deepEqual(listAll(assets), [], 'nothing written, not even a temp file');

    server().script({ status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const api = await testApi();
    const request = api.generation.buildRequest('A cat');
    await assert.rejects(
      api.generation.generate(request, { kind: 'assets', workspaceRoot: workspaceRoot(), assetsFolder: 'assets' }, new AbortController().signal),
      (error: unknown) => errorKind(error) === 'auth' && !String((error as Error).message).includes('sk-integration-key'),
    );
    assert.deepEqual(listAll(assets), []);
  });

  test('cancellation leaves no file', async () => {
    server().script({ delayMs: 3000 });
    const api = await testApi();
    const controller = new AbortController();
    const request = api.generation.buildRequest('A slow painting');
    const pending = api.generation.generate(request, { kind: 'assets', workspaceRoot: workspaceRoot(), assetsFolder: 'assets' }, controller.signal);
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(pending, (error: unknown) => errorKind(error) === 'cancelled');
    assert.deepEqual(listAll(assets), []);
  });

  test('a workspace .vscode/settings.json cannot redirect the key', async () => {
    const settingsFile = path.join(workspaceRoot(), '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    const changed = new Promise<void>((resolve) => {
      const subscription = vscode.workspace.onDidChangeConfiguration(() => {
        subscription.dispose();
        resolve();
      });
    });
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({ 'gptImage.baseUrl': 'http://127.0.0.1:9/v1', 'gptImage.model': 'evil', 'gptImage.quality': 'low' }),
    );
    try {
      await Promise.race([changed, sleep(3000)]);
      // The file was read: its resource-scoped value shows up, so its baseUrl and model were seen too.
      await waitFor('the workspace settings file to be loaded', () =>
        vscode.workspace.getConfiguration('gptImage').inspect('quality')?.workspaceValue === 'low' ? true : undefined,
      );
      const before = server().requests.length;
      await openFile('redirect.md', '');
      const outcome = await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A lighthouse' });
      assert.ok(outcome, 'the generation succeeded against the user-configured server');
      assert.equal(server().requests.length, before + 1, 'the request went to the user-configured server');
      const sent = server().requests.at(-1)!.json as { model?: string; quality?: string };
      assert.equal(sent.model, 'gpt-image-2', 'the workspace model was ignored too');
      assert.equal(sent.quality, 'low', 'a workspace may still choose the quality');
    } finally {
      fs.rmSync(path.dirname(settingsFile), { recursive: true, force: true });
    }
  });

  test('a whole-line selection as the prompt: the link goes after that line, not the next one', async () => {
    const editor = await openFile('lines.md', 'A heron at dawn\nnext line\n');
    editor.selection = new vscode.Selection(0, 0, 1, 0); // triple-click selects the line and its break
    await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A heron at dawn' });
    const [file] = listImages(assets);
    await waitFor('the link after the prompt line', () => (editor.document.getText().includes('![') ? true : undefined));
    assert.equal(editor.document.getText(), `A heron at dawn\n![A heron at dawn](assets/${file})\nnext line\n`);
  });

  test('edits made while generating do not misplace the link', async () => {
    const editor = await openFile('moving.md', 'Title\n\nThe end.');
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    server().script({ delayMs: 1500 });
    const pending = vscode.commands.executeCommand('gptImage.generate', { prompt: 'A moving target' });
    await sleep(300);
    await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), 'Typed while waiting\n'));
    await pending;
    const [file] = listImages(assets);
    await waitFor('the link', () => (editor.document.getText().includes('![') ? true : undefined));
    assert.equal(
      editor.document.getText(),
      `Typed while waiting\nTitle\n![A moving target](assets/${file})\nThe end.`,
    );
  });

  test('an assetsFolder setting outside the workspace: the message names the setting, nothing is sent or written', async () => {
    const api = await testApi();
    const outside = path.join(path.dirname(workspaceRoot()), 'outside-assets');
    await setUserSetting('assetsFolder', '../outside-assets');
    try {
      await openFile('outside.md', '');
      const requests = server().requests.length;
      const outcome = await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A cat on the roof' });
      assert.equal(outcome, undefined, 'the command reports failure');
      assert.equal(server().requests.length, requests, 'no request reached the server');
      assert.equal(fs.existsSync(outside), false, 'nothing created outside the workspace');
      // Core says "The assets folder"; the host passes the setting's name, so the user reads what to fix.
      const line = await waitFor('the error line', () => [...api.log.recentLines()].reverse().find((text) => text.includes('("../outside-assets")')));
      assert.ok(
        line.includes('The setting gptImage.assetsFolder ("../outside-assets") points outside the workspace folder. Use a folder relative to the workspace folder, such as "assets".'),
        line,
      );
    } finally {
      await setUserSetting('assetsFolder', undefined);
    }
  });

  test('with insertAfterGenerate "never" nothing is inserted, the file is still saved', async () => {
    await setUserSetting('insertAfterGenerate', 'never');
    try {
      const editor = await openFile('never.md', 'unchanged');
      await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A quiet pond' });
      assert.equal(listImages(assets).length, 1);
      await sleep(300);
      assert.equal(editor.document.getText(), 'unchanged');
    } finally {
      await setUserSetting('insertAfterGenerate', 'always');
    }
  });
});

/** The engine is its own bundle (dist/engine.js), so its ImageApiError is not this file's class: compare kinds. */
function errorKind(error: unknown): string | undefined {
  return error instanceof Error && error.name === 'ImageApiError' ? (error as Error & { kind: string }).kind : undefined;
}
