import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { closeAllEditors, openFile, testApi, waitFor, workspaceRoot } from './helpers';

const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

suite('Insert Image…', () => {
  let image: vscode.Uri;

  suiteSetup(async () => {
    await testApi();
    const dir = path.join(workspaceRoot(), 'assets');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'red fox (1)-20261125-101500.png');
    fs.writeFileSync(file, png);
    image = vscode.Uri.file(file);
  });

  teardown(closeAllEditors);

  test('Explorer "Insert into Active Editor" into Markdown in a subfolder', async () => {
    const editor = await openFile('docs/guide.md', 'Intro\n');
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    await vscode.commands.executeCommand('gptImage.insertImageFromExplorer', image);
    await waitFor('the link', () => (editor.document.getText().includes('!') ? true : undefined));
    assert.equal(editor.document.getText(), 'Intro\n![red fox (1)](<../assets/red fox (1)-20261125-101500.png>)');
  });

  test('a selection is replaced, as a paste would', async () => {
    const editor = await openFile('replace.md', 'before PLACEHOLDER after');
    editor.selection = new vscode.Selection(0, 7, 0, 18);
    await vscode.commands.executeCommand('gptImage.insertImageFromExplorer', image);
    await waitFor('the link', () => (editor.document.getText().includes('!') ? true : undefined));
    assert.equal(editor.document.getText(), 'before ![red fox (1)](<assets/red fox (1)-20261125-101500.png>) after');
  });

  test('reviewer #15: at 1:1 of a heading the image gets its own line (was "![…](…)# Notes"); HTML stays inline', async () => {
    const editor = await openFile('heading-first.md', '# Notes\n');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('gptImage.insertImageFromExplorer', image);
    await waitFor('the link', () => (editor.document.getText().includes('!') ? true : undefined));
    assert.equal(editor.document.getText(), '![red fox (1)](<assets/red fox (1)-20261125-101500.png>)\n# Notes\n');
    const html = await openFile('inline.html', '<p>x</p>\n');
    html.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('gptImage.insertImageFromExplorer', image);
    await waitFor('the img tag', () => (html.document.getText().includes('<img') ? true : undefined));
    assert.equal(html.document.getText(), '<img src="assets/red%20fox%20(1)-20261125-101500.png" alt="red fox (1)"><p>x</p>\n');
  });

  test('into HTML', async () => {
    const editor = await openFile('index.html', '');
    await vscode.commands.executeCommand('gptImage.insertImageFromExplorer', image);
    await waitFor('the img tag', () => (editor.document.getText().includes('<img') ? true : undefined));
    assert.equal(editor.document.getText(), '<img src="assets/red%20fox%20(1)-20261125-101500.png" alt="red fox (1)">');
  });

  test('into an untitled document: workspace-relative path', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('gptImage.insertImageFromExplorer', image);
    await waitFor('the link', () => (document.getText().includes('!') ? true : undefined));
    assert.equal(document.getText(), '![red fox (1)](<assets/red fox (1)-20261125-101500.png>)');
  });

  test('Insert Image… picks from the assets folder, newest first', async () => {
    const older = path.join(workspaceRoot(), 'assets', 'older-20200101-000000.png');
    fs.writeFileSync(older, png);
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(older, past, past);
    fs.utimesSync(image.fsPath, new Date(), new Date());
    const editor = await openFile('pick.md', '');
    let done = false;
    const pending = Promise.resolve(vscode.commands.executeCommand('gptImage.insertImage')).finally(() => (done = true));
    // The quick pick opens once the folder is listed, its first (newest) row focused. Accepting before it
    // opens does nothing, so accept until the command has taken the pick and returned.
    await waitFor('Insert Image… to take the first row', async () => {
      if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return done;
    }, 20_000);
    await pending;
    await waitFor('the link', () => (editor.document.getText().includes('!') ? true : undefined));
    assert.equal(editor.document.getText(), '![red fox (1)](<assets/red fox (1)-20261125-101500.png>)');
  });
});
