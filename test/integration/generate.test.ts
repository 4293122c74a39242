import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import {
  closeAllEditors,
  emptyDir,
  isPng,
  listAll,
  listImages,
  openFile,
  setUserSetting,
  testApi,
  waitFor,
  workspaceRoot,
} from './helpers';

suite('Generate Image… against the fixture server', () => {
  let server: FakeImageServer;
  let assets: string;

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: 'sk-integration-key' });
    const api = await testApi();
    await api.keys.set('sk-integration-key');
    await setUserSetting('baseUrl', server.baseUrl);
    await setUserSetting('insertAfterGenerate', 'always');
    assets = path.join(workspaceRoot(), 'assets');
  });

  suiteTeardown(async () => {
    await setUserSetting('baseUrl', undefined);
    await setUserSetting('insertAfterGenerate', undefined);
    await (await testApi()).keys.clear();
    await server.close();
    await closeAllEditors();
  });

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

    const sent = server.requests.at(-1)!;
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
    server.script({ status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const outcome = await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A cat' });
    assert.equal(outcome, undefined, 'the command reports failure');
    assert.deepEqual(listAll(assets), [], 'nothing written, not even a temp file');

    server.script({ status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const api = await testApi();
    const request = api.generation.buildRequest('A cat');
    await assert.rejects(
      api.generation.generate(request, { kind: 'assets', workspaceRoot: workspaceRoot(), assetsFolder: 'assets' }, new AbortController().signal),
      (error: unknown) => errorKind(error) === 'auth' && !String((error as Error).message).includes('sk-integration-key'),
    );
    assert.deepEqual(listAll(assets), []);
  });

  test('cancellation leaves no file', async () => {
    server.script({ delayMs: 3000 });
    const api = await testApi();
    const controller = new AbortController();
    const request = api.generation.buildRequest('A slow painting');
    const pending = api.generation.generate(request, { kind: 'assets', workspaceRoot: workspaceRoot(), assetsFolder: 'assets' }, controller.signal);
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(pending, (error: unknown) => errorKind(error) === 'cancelled');
    assert.deepEqual(listAll(assets), []);
  });

  test('a workspace .vscode/settings.json cannot redirect the key', async () => {
    await vscode.workspace.getConfiguration('gptImage').update('baseUrl', 'http://127.0.0.1:9/v1', vscode.ConfigurationTarget.Workspace).then(
      () => undefined,
      () => undefined, // application-scoped settings may refuse a workspace target outright: that is the point
    );
    const before = server.requests.length;
    await openFile('redirect.md', '');
    await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A lighthouse' });
    assert.equal(server.requests.length, before + 1, 'the request still went to the user-configured server');
  });
});

/** The engine is its own bundle (dist/engine.js), so its ImageApiError is not this file's class: compare kinds. */
function errorKind(error: unknown): string | undefined {
  return error instanceof Error && error.name === 'ImageApiError' ? (error as Error & { kind: string }).kind : undefined;
}
