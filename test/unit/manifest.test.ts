import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandIds, panelViewType } from '../../src/common/ids';
import { settingDefaults } from '../../src/common/settingDefaults';

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

suite('package.json (the public contract)', () => {
  test('identity', () => {
    assert.equal(manifest.name, 'gpt-image-studio');
    assert.equal(manifest.displayName, 'GPT Image Studio');
    assert.equal(manifest.main, './dist/extension.js');
    assert.match(manifest.engines.vscode, /^\^1\.(\d+)\.0$/);
    const engineMinor = Number(/^\^1\.(\d+)/.exec(manifest.engines.vscode)![1]);
    // 1.101 finalized the MCP server definition API the agent tools use; anything newer (e.g.
    // LanguageModelDataPart, 1.106) is feature-detected at runtime, so hosts and forks at 1.101 still work.
    assert.equal(engineMinor, 101, 'engines.vscode is ^1.101.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.101.0', '@types/vscode pinned to the engine');
  });

  test("the harness's code-server satisfies the engine (or the .vsix would not install in e2e)", () => {
    // code-server 4.X.Y ships VS Code 1.X.Y.
    const harness = fs.readFileSync(path.join(root, 'scripts/lib/harness.mjs'), 'utf8');
    const codeServerMinor = Number(/codeServerVersion = '4\.(\d+)\.\d+'/.exec(harness)![1]);
    const engineMinor = Number(/^\^1\.(\d+)/.exec(manifest.engines.vscode)![1]);
    assert.ok(codeServerMinor >= engineMinor, `code-server's VS Code 1.${codeServerMinor} < engine 1.${engineMinor}`);
  });

  test('contributed commands are exactly the command ID map, all in category GPT Image', () => {
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, Object.values(commandIds).sort());
    for (const command of manifest.contributes.commands) assert.equal(command.category, 'GPT Image');
  });

  test('command titles are the contract', () => {
    const titles = Object.fromEntries(
      manifest.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]),
    );
    assert.equal(titles['gptImage.generate'], 'Generate Image…');
    assert.equal(titles['gptImage.openStudio'], 'Open Image Studio');
    assert.equal(titles['gptImage.setApiKey'], 'Set API Key');
    assert.equal(titles['gptImage.clearApiKey'], 'Clear API Key');
    assert.equal(titles['gptImage.insertImage'], 'Insert Image…');
    assert.equal(titles['gptImage.insertImageFromExplorer'], 'Insert into Active Editor');
    assert.equal(titles['gptImage.showLog'], 'Show Log');
    assert.equal(titles['gptImage.showImageInfo'], 'Show Image Info');
    assert.equal(titles['gptImage.generatePlaceholders'], 'Generate Missing Images');
  });

  test('activation only on the panel (commands activate implicitly)', () => {
    assert.deepEqual(manifest.activationEvents, [`onWebviewPanel:${panelViewType}`]);
  });

  test('settings keys and defaults', () => {
    const props = manifest.contributes.configuration.properties;
    const defaults = Object.fromEntries(Object.entries(props).map(([key, value]) => [key, (value as { default: unknown }).default]));
    assert.deepEqual(defaults, {
      'gptImage.baseUrl': 'https://api.wisgate.ai/v1',
      'gptImage.model': 'gpt-image-2',
      'gptImage.size': '1024x1024',
      'gptImage.quality': 'auto',
      'gptImage.count': 1,
      'gptImage.outputFormat': 'png',
      'gptImage.background': 'auto',
      'gptImage.assetsFolder': 'assets',
      'gptImage.insertAfterGenerate': 'always',
      'gptImage.timeoutSeconds': 600,
      'gptImage.maxRetries': 2,
      'gptImage.confirmAboveUsd': 0.5,
      'gptImage.dailyBudgetUsd': null,
      'gptImage.pricing': {},
      'gptImage.previewImages': 1,
      'gptImage.embedPrompt': true,
      'gptImage.historyFile': false,
    });
    assert.equal(props['gptImage.pricing'].scope, 'application', 'prices only from user settings (issue #14)');
    for (const [key, value] of Object.entries(props)) {
      assert.ok((value as { markdownDescription?: string }).markdownDescription, `${key} has a description`);
    }
    assert.deepEqual(props['gptImage.insertAfterGenerate'].enum, ['ask', 'always', 'never']);
  });

  test('every setting has the default the code falls back to (settingDefaults), no setting only on one side', () => {
    const props: Record<string, { default?: unknown }> = manifest.contributes.configuration.properties;
    const prefix = 'gptImage.';
    for (const key of Object.keys(props)) assert.ok(key.startsWith(prefix), `${key} is in the gptImage section`);
    // None is excepted today: a setting the code reads without a contributed default (or one contributed
    // but never read) would go here, with the reason.
    const exceptions: Readonly<Record<string, string>> = {};
    const contributed = Object.keys(props).map((key) => key.slice(prefix.length)).filter((key) => !(key in exceptions));
    const ours = Object.keys(settingDefaults).filter((key) => !(key in exceptions));
    assert.deepEqual([...contributed].sort(), [...ours].sort(), 'the same settings in package.json and settingDefaults');
    for (const [key, value] of Object.entries(settingDefaults)) {
      if (key in exceptions) continue;
      assert.ok('default' in props[prefix + key]!, `${prefix}${key} declares a default`);
      assert.deepEqual(props[prefix + key]!.default, value, `${prefix}${key}: package.json's default is settingDefaults.${key}`);
    }
  });

  test('the key can only go where user settings say: baseUrl and model are application-scoped and restricted', () => {
    const props = manifest.contributes.configuration.properties;
    assert.equal(props['gptImage.baseUrl'].scope, 'application');
    assert.equal(props['gptImage.model'].scope, 'application');
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of ['gptImage.assetsFolder', 'gptImage.baseUrl', 'gptImage.model']) {
      assert.ok(restricted.includes(key), `${key} is a restricted configuration`);
    }
  });

  test('an untrusted workspace cannot raise the cost: count, quality, size, retries and timeout are restricted', () => {
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    const props = manifest.contributes.configuration.properties;
    for (const key of ['gptImage.count', 'gptImage.quality', 'gptImage.size', 'gptImage.maxRetries', 'gptImage.timeoutSeconds']) {
      assert.ok(restricted.includes(key), `${key} is a restricted configuration`);
    }
    for (const key of restricted) assert.ok(props[key], `${key} is a contributed setting`);
    assert.equal(new Set(restricted).size, restricted.length, 'no duplicates');
  });

  test('an untrusted workspace cannot word our prompts or edit documents: format, background and insert mode are restricted (review of #9, F1)', () => {
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of ['gptImage.outputFormat', 'gptImage.background', 'gptImage.insertAfterGenerate']) {
      assert.ok(restricted.includes(key), `${key} is a restricted configuration`);
    }
    // Every setting is restricted or application-scoped: nothing a repository sets reaches a prompt unchecked.
    const props = manifest.contributes.configuration.properties;
    for (const [key, value] of Object.entries(props)) {
      const scoped = (value as { scope?: string }).scope === 'application';
      assert.ok(restricted.includes(key) || scoped, `${key} is restricted or user-only`);
    }
    const description: string = manifest.capabilities.untrustedWorkspaces.description;
    for (const word of ['outputFormat', 'background', 'insertAfterGenerate']) {
      assert.ok(description.includes(word), `the untrusted-workspace description names ${word}`);
    }
  });
});
