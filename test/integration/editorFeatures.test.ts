import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { historyFileName } from '../../src/core/provenance/historyFile';
import {
  closeAllEditors,
  emptyDir,
  listImages,
  openFile,
  setUserSetting,
  testApi,
  useFixtureServer,
  waitFor,
  workspaceRoot,
} from './helpers';

interface FillResult {
  readonly filled: number;
  readonly failed: number;
  readonly skipped: number;
}
interface ShownInfo {
  readonly prompt?: string;
  readonly contentCredentials: boolean;
  readonly rows: readonly { label: string; value: string }[];
}

const signedFixture = path.resolve(__dirname, '../../../test/fixtures/images/signed-cabx.png');

/** Issue #15 in the real extension host: placeholders, drop edits, Show Image Info, the history file. */
suite('In the editor: placeholders, drop, image info (issue #15)', () => {
  const server = useFixtureServer({ key: 'sk-editor-key' });
  let assets: string;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'assets');
  });
  suiteTeardown(async () => {
    // Set by the history-file test.
    await setUserSetting('historyFile', undefined);
    await closeAllEditors();
  });
  setup(() => emptyDir(assets));
  teardown(closeAllEditors);

  test('CodeLenses: Generate image on each placeholder, Generate all on the first; code is ignored', async () => {
    const editor = await openFile('lenses.md', '# Doc\n\n![A lighthouse at dusk]()\n\n`![not this]()`\n\n![A fox](gpt-image: "1536x1024 low")\n');
    const lenses = await waitFor('the lenses', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 10);
      const ours = found.filter((lens) => lens.command?.command === 'gptImage.generatePlaceholders');
      return ours.length >= 3 ? ours : undefined;
    });
    assert.deepEqual(lenses.map((lens) => [lens.range.start.line, lens.command?.title]), [
      [2, 'Generate image'],
      [2, 'Generate all 2 images'],
      [6, 'Generate image'],
    ]);
  });

  test('Generate Missing Images fills every placeholder in place, one undo each; options come from the title', async () => {
    const editor = await openFile('docs/fill.md', 'Intro\n\n![A lighthouse at dusk]()\n\n![A wide fox](gpt-image: "1536x1024 low")\n');
    const result = await vscode.commands.executeCommand<FillResult>('gptImage.generatePlaceholders', editor.document.uri, [
      ...findOffsets(editor.document.getText()),
    ], { confirmed: true });
    // Two placeholders are a batch, confirmed with its cost estimate; the test passes that confirmation.
    assert.deepEqual(result, { filled: 2, failed: 0, skipped: 0 });
    const files = listImages(assets);
    assert.equal(files.length, 2);
    const text = editor.document.getText();
    const lighthouse = files.find((name) => name.startsWith('a-lighthouse'))!;
    const fox = files.find((name) => name.startsWith('a-wide-fox'))!;
    assert.equal(text, `Intro\n\n![A lighthouse at dusk](../assets/${lighthouse})\n\n![A wide fox](../assets/${fox})\n`);
    const sizes = server().requests.slice(-2).map((request) => (request.json as { size: string; quality: string }).size).sort();
    assert.deepEqual(sizes, ['1024x1024', '1536x1024']);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    await waitFor('one fill undone', () => (findOffsets(editor.document.getText()).length === 1 ? true : undefined));
  });

  test('a placeholder edited while generating is left alone; a bad title fails with the reason and stays', async () => {
    const editor = await openFile('edited.md', '![A slow heron]()\n![x](gpt-image: "ultra")\n');
    server().script({ delayMs: 1200 });
    const pending = vscode.commands.executeCommand<FillResult>('gptImage.generatePlaceholders', editor.document.uri, [0]);
    await waitFor('the request', () => (server().requests.length > 0 ? true : undefined), 5000);
    await editor.edit((edit) => edit.insert(new vscode.Position(0, 2), 'Very '));
    const result = await pending;
    assert.deepEqual(result, { filled: 0, failed: 0, skipped: 1 });
    assert.equal(editor.document.getText(), '![Very A slow heron]()\n![x](gpt-image: "ultra")\n');
    const bad = await vscode.commands.executeCommand<FillResult>('gptImage.generatePlaceholders', editor.document.uri, [editor.document.getText().indexOf('![x]')]);
    assert.deepEqual(bad, { filled: 0, failed: 1, skipped: 0 });
    assert.match(editor.document.getText(), /!\[x\]\(gpt-image: "ultra"\)/);
  });

  test('reviewer #15: a wrong key stops the batch: 5 placeholders send 3 requests (the ones running), not 5', async () => {
    const editor = await openFile('batch401.md', [1, 2, 3, 4, 5].map((k) => `![Batch picture ${k}]()`).join('\n\n') + '\n');
    const before = server().requests.length;
    const unauthorized = { status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } };
    server().script(unauthorized, unauthorized, unauthorized, unauthorized, unauthorized);
    const result = await vscode.commands.executeCommand<FillResult>('gptImage.generatePlaceholders', editor.document.uri, undefined, { confirmed: true });
    assert.deepEqual(result, { filled: 0, failed: 5, skipped: 0 });
    assert.equal(server().requests.length - before, 3, 'the two queued placeholders were not sent');
    assert.equal(findOffsets(editor.document.getText()).length, 5, 'every placeholder is left as it was');
    server().reset();
  });

  test('drop edits: HTML gets <img>, CSS gets url(), Markdown offers ours as an alternative to VS Code’s own', async () => {
    const image = path.join(assets, 'red-fox-20261125-101500.png');
    fs.mkdirSync(assets, { recursive: true });
    fs.copyFileSync(signedFixture, image);
    const { ImageDropProvider } = (await import('../../src/editor/imageDrop')) as typeof import('../../src/editor/imageDrop');
    const provider = new ImageDropProvider();
    const transfer = new vscode.DataTransfer();
    transfer.set('text/uri-list', new vscode.DataTransferItem(vscode.Uri.file(image).toString()));
    const token = new vscode.CancellationTokenSource().token;
    const html = await openFile('web/page.html', '<body></body>');
    const htmlEdit = await provider.provideDocumentDropEdits(html.document, new vscode.Position(0, 6), transfer, token);
    assert.equal(snippetText(htmlEdit), '<img src="../assets/red-fox-20261125-101500.png" alt="red fox">');
    const css = await openFile('web/style.css', 'body { background: ; }');
    assert.equal(snippetText(await provider.provideDocumentDropEdits(css.document, new vscode.Position(0, 19), transfer, token)), 'url("../assets/red-fox-20261125-101500.png")');
    const md = await openFile('drop.md', '');
    const mdEdit = await provider.provideDocumentDropEdits(md.document, new vscode.Position(0, 0), transfer, token);
    assert.equal(snippetText(mdEdit), '![red fox](assets/red-fox-20261125-101500.png)');
    assert.equal(mdEdit?.yieldTo?.[0]?.value, 'markdown', 'yields to Markdown’s own drop');
    const notImage = new vscode.DataTransfer();
    notImage.set('text/uri-list', new vscode.DataTransferItem(vscode.Uri.file(path.join(workspaceRoot(), 'notes.txt')).toString()));
    assert.equal(await provider.provideDocumentDropEdits(md.document, new vscode.Position(0, 0), notImage, token), undefined);
  });

  test('Show Image Info reads back the prompt of a PNG the extension wrote, and finds the caBX fixture’s credentials', async () => {
    await openFile('info.md', '');
    const outcome = await vscode.commands.executeCommand<{ files: vscode.Uri[] }>('gptImage.generate', { prompt: 'A teammate’s heron, ink', size: '1536x1024' });
    // A teammate's copy: a fresh name no history knows, so only the file itself can tell.
    const copy = path.join(assets, 'from-a-teammate.png');
    fs.copyFileSync(outcome.files[0].fsPath, copy);
    const info = await vscode.commands.executeCommand<ShownInfo>('gptImage.showImageInfo', vscode.Uri.file(copy));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(info.prompt, 'A teammate’s heron, ink');
    assert.equal(info.contentCredentials, false);
    assert.match(info.rows.find((row) => row.label === 'Options')?.value ?? '', /1536x1024/);
    assert.match(info.rows.find((row) => row.label === 'Content Credentials (C2PA)')?.value ?? '', /^absent/);

    const signed = path.join(assets, 'signed.png');
    fs.copyFileSync(signedFixture, signed);
    const signedInfo = await vscode.commands.executeCommand<ShownInfo>('gptImage.showImageInfo', vscode.Uri.file(signed));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(signedInfo.contentCredentials, true);
    assert.match(signedInfo.rows.find((row) => row.label === 'Content Credentials (C2PA)')?.value ?? '', /^present/);
  });

  test('gptImage.historyFile: a generation is appended, and a teammate’s line shows up in the history; a line pointing outside does not', async () => {
    await setUserSetting('historyFile', true);
    try {
      await openFile('hist.md', '');
      await vscode.commands.executeCommand('gptImage.generate', { prompt: 'A shared lighthouse' });
      const file = path.join(assets, historyFileName);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      assert.equal(lines.length, 1);
      assert.equal(JSON.parse(lines[0]).prompt, 'A shared lighthouse');

      fs.copyFileSync(signedFixture, path.join(assets, 'teammate.png'));
      const base = { v: 1, model: 'gpt-image-2', options: { size: '1024x1024', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' }, createdAt: Date.now() + 1000 };
      fs.appendFileSync(file, `${JSON.stringify({ ...base, id: 'teammate1', prompt: 'A teammate’s fox', files: ['assets/teammate.png'] })}\n`);
      fs.appendFileSync(file, `${JSON.stringify({ ...base, id: 'evil1', prompt: 'Outside', files: ['../../../etc/passwd'] })}\n`);
      const api = await testApi();
      await api.generation.shared.reload();
      const prompts = api.generation.historyEntries().map((entry) => entry.prompt);
      assert.ok(prompts.includes('A teammate’s fox'), prompts.join(' | '));
      assert.ok(!prompts.includes('Outside'));
    } finally {
      await setUserSetting('historyFile', undefined);
    }
  });
});

function findOffsets(text: string): number[] {
  return [...text.matchAll(/!\[[^\]]+\]\((?:gpt-image:[^)]*)?\)/g)].map((match) => match.index!);
}

function snippetText(edit: vscode.DocumentDropEdit | undefined): string | undefined {
  const insert = edit?.insertText;
  if (insert === undefined) return undefined;
  return typeof insert === 'string' ? insert : insert.value.replace(/\$\{1:([^}]*)\}/g, '$1').replace(/\\([$}\\])/g, '$1');
}
