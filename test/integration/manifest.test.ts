import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'gpt-image-studio.gpt-image-studio';

// Mocha loads every test file before it runs any test, so this is the state before any suite could
// have run one of our commands, whatever order the files run in.
const activeAtLoad = vscode.extensions.getExtension(extensionId)?.isActive;

interface ContributedCommand {
  readonly command: string;
}

suite('Extension manifest in a running VS Code', () => {
  test('the extension is installed', () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is not among the installed extensions`);
    assert.equal(extension.packageJSON.name, 'gpt-image-studio');
  });

  test('it activates only on its own commands, not at startup', () => {
    const extension = vscode.extensions.getExtension(extensionId)!;
    const events: readonly string[] = extension.packageJSON.activationEvents ?? [];
    assert.ok(!events.includes('*'), 'activationEvents must not contain "*"');
    assert.ok(!events.includes('onStartupFinished'), 'activationEvents must not contain onStartupFinished');
    assert.equal(activeAtLoad, false, 'the extension was already active before any of its commands ran');
  });

  test('contributed and registered commands are the same set', async () => {
    const extension = vscode.extensions.getExtension(extensionId)!;
    await extension.activate();
    assert.ok(extension.isActive);
    const contributed: readonly ContributedCommand[] = extension.packageJSON.contributes?.commands ?? [];
    const contributedIds = contributed.map((c) => c.command).sort();
    const registeredIds = (await vscode.commands.getCommands(true)).filter((id) => id.startsWith('gptImage.')).sort();
    assert.ok(contributedIds.length > 0, 'package.json contributes no commands');
    assert.deepEqual(
      contributedIds.filter((id) => !registeredIds.includes(id)),
      [],
      'contributed in package.json but not registered',
    );
    assert.deepEqual(
      registeredIds.filter((id) => !contributedIds.includes(id)),
      [],
      'registered but not contributed in package.json',
    );
  });
});
