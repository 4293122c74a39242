import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SaveTarget } from '../../src/core/engine';
import { readCostConfig } from '../../src/common/costSettings';
import { ImageApiError } from '../../src/core/errors';
import { closeAllEditors, emptyDir, listImages, setUserSetting, testApi, useFixtureServer, waitFor, workspaceRoot } from './helpers';

/** Issue #14: every result has a cost, the budget refuses, the balance shows the real charge. */
suite('Cost, daily budget and balance against the fixture server', () => {
  const server = useFixtureServer({ key: 'sk-cost-key', settings: { insertAfterGenerate: 'never' } });
  let assets: string;
  let target: SaveTarget;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'assets');
    target = { kind: 'assets', workspaceRoot: workspaceRoot(), assetsFolder: 'assets' };
  });

  suiteTeardown(async () => {
    // Set by the budget tests.
    await setUserSetting('dailyBudgetUsd', undefined);
    await vscode.workspace.getConfiguration('gptImage').update('dailyBudgetUsd', undefined, vscode.ConfigurationTarget.Workspace);
    await closeAllEditors();
  });

  setup(() => {
    emptyDir(assets);
    server().reset();
  });

  test('a generation reports its cost from usage, records it in history and today’s spend, and the balance drop', async () => {
    const api = await testApi();
    const before = api.generation.spend.today();
    // Known balance first, as after activation or Set API Key.
    await api.generation.refreshBalanceNow();
    const request = api.generation.buildRequest('A red kite over the dunes', { quality: 'medium' });
    const outcome = await api.generation.generate(request, target, new AbortController().signal);
    // Fixture usage: ceil(25/4) = 7 text tokens in, 1056 image tokens out, at gpt-image-2 list prices.
    const expected = (7 * 5 + 1056 * 30) / 1e6;
    assert.equal(outcome.cost.basis, 'usage');
    assert.ok(Math.abs(outcome.cost.usd - expected) < 1e-9, `cost ${outcome.cost.usd}`);
    assert.ok(outcome.cost.chargedUsd !== undefined && Math.abs(outcome.cost.chargedUsd - expected) < 1e-6, `charged ${outcome.cost.chargedUsd}`);
    assert.deepEqual(api.history.get(outcome.entry.id)?.cost, outcome.cost);
    assert.ok(Math.abs(api.generation.spend.today() - before - expected) < 1e-9);
    const balance = await waitFor('the balance after the generation', () => api.generation.balance.current(server().baseUrl));
    assert.ok(Math.abs(balance.availableUsd - (25 - expected)) < 1e-6);
    assert.ok(server().balance.requests.every((r) => r.authorization === 'Bearer sk-cost-key'));
  });

  test('over the daily budget: refused before sending, naming the budget and today’s total', async () => {
    const api = await testApi();
    const today = api.generation.spend.today();
    await setUserSetting('dailyBudgetUsd', Math.round((today + 0.05) * 100) / 100);
    try {
      const request = api.generation.buildRequest('A very expensive poster', { quality: 'high' });
      await assert.rejects(api.generation.generate(request, target, new AbortController().signal), (error: unknown) => {
        assert.ok(error instanceof ImageApiError);
        assert.equal(error.kind, 'validation');
        assert.match(error.message, /daily budget of \$\d+\.\d+ \(gptImage\.dailyBudgetUsd\)/);
        assert.match(error.message, /Spent today: \$/);
        assert.match(error.message, /Nothing was sent/);
        return true;
      });
      assert.equal(server().requests.length, 0, 'nothing reached the server');
      assert.deepEqual(listImages(assets), []);
      // A cheap one still fits.
      const low = api.generation.buildRequest('A small icon', { quality: 'low' });
      await api.generation.generate(low, target, new AbortController().signal);
      assert.equal(server().requests.length, 1);
    } finally {
      await setUserSetting('dailyBudgetUsd', undefined);
    }
  });

  test('a workspace can lower gptImage.maxRetries but not raise it: each retry may be billed (issue #11 review)', async () => {
    const api = await testApi();
    const config = vscode.workspace.getConfiguration('gptImage');
    const overloaded = { status: 503, error: { message: 'Overloaded', type: 'server_error' } };
    const posts = (): number => server().requests.filter((request) => request.method === 'POST').length;
    await setUserSetting('maxRetries', 0);
    await config.update('maxRetries', 10, vscode.ConfigurationTarget.Workspace);
    try {
      const request = api.generation.buildRequest('A poster', { quality: 'low' });
      server().script(overloaded, overloaded, overloaded);
      await assert.rejects(api.generation.generate(request, target, new AbortController().signal), /503/);
      assert.equal(posts(), 1, 'user 0, workspace 10: one attempt');
      server().reset();
      await setUserSetting('maxRetries', undefined);
      await config.update('maxRetries', 0, vscode.ConfigurationTarget.Workspace);
      server().script(overloaded, overloaded, overloaded);
      await assert.rejects(api.generation.generate(request, target, new AbortController().signal), /503/);
      assert.equal(posts(), 1, 'user default 2, workspace 0: one attempt');
    } finally {
      await config.update('maxRetries', undefined, vscode.ConfigurationTarget.Workspace);
      await setUserSetting('maxRetries', undefined);
    }
  });

  test('a workspace cannot raise the budget: the smaller of user and workspace values applies', async () => {
    const api = await testApi();
    const config = vscode.workspace.getConfiguration('gptImage');
    await setUserSetting('dailyBudgetUsd', 0);
    await config.update('dailyBudgetUsd', 1000, vscode.ConfigurationTarget.Workspace);
    try {
      const request = api.generation.buildRequest('A poster', { quality: 'low' });
      await assert.rejects(api.generation.generate(request, target, new AbortController().signal), /daily budget of \$0\.00 \(gptImage\.dailyBudgetUsd\)/);
      await setUserSetting('dailyBudgetUsd', undefined);
      await config.update('dailyBudgetUsd', 0, vscode.ConfigurationTarget.Workspace);
      await assert.rejects(api.generation.generate(request, target, new AbortController().signal), /this workspace's gptImage\.dailyBudgetUsd/);
      assert.equal(server().requests.length, 0);
    } finally {
      await config.update('dailyBudgetUsd', undefined, vscode.ConfigurationTarget.Workspace);
      await setUserSetting('dailyBudgetUsd', undefined);
    }
  });

  test('review #14: a workspace cannot raise confirmAboveUsd or previewImages above the defaults the user never changed', async () => {
    const config = vscode.workspace.getConfiguration('gptImage');
    await config.update('confirmAboveUsd', 1e9, vscode.ConfigurationTarget.Workspace);
    await config.update('previewImages', 3, vscode.ConfigurationTarget.Workspace);
    try {
      const read = readCostConfig();
      assert.equal(read.confirmAboveUsd, 0.5, 'the default 0.5 still asks');
      assert.equal(read.previewImages, 1, 'the default 1 preview, not 3 billed ones');
      await setUserSetting('confirmAboveUsd', 2);
      assert.equal(readCostConfig().confirmAboveUsd, 2, "the user's own value applies");
      await config.update('confirmAboveUsd', 0.1, vscode.ConfigurationTarget.Workspace);
      await config.update('previewImages', 0, vscode.ConfigurationTarget.Workspace);
      assert.equal(readCostConfig().confirmAboveUsd, 0.1, 'a workspace may ask sooner');
      assert.equal(readCostConfig().previewImages, 0, 'and stream fewer previews');
    } finally {
      await config.update('confirmAboveUsd', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('previewImages', undefined, vscode.ConfigurationTarget.Workspace);
      await setUserSetting('confirmAboveUsd', undefined);
    }
  });

  test('review #14: eight parallel generations, each under the budget, together over it: only those that fit are sent', async () => {
    const api = await testApi();
    const request = api.generation.buildRequest('A parallel poster', { quality: 'low' });
    const estimate = api.generation.estimate(request).usd;
    const today = api.generation.spend.today();
    // Room for three estimates (and a little), not four.
    await setUserSetting('dailyBudgetUsd', today + 3.5 * estimate);
    try {
      const runs = Array.from({ length: 8 }, () =>
        api.generation.generate(request, target, new AbortController().signal, undefined, undefined, { confirmCost: false }).then(
          () => 'sent',
          (error: unknown) => (error instanceof ImageApiError && error.param === 'dailyBudgetUsd' ? 'refused' : `other: ${String(error)}`),
        ),
      );
      const outcomes = await Promise.all(runs);
      assert.equal(outcomes.filter((o) => o === 'sent').length, 3, outcomes.join(', '));
      assert.equal(outcomes.filter((o) => o === 'refused').length, 5, outcomes.join(', '));
      assert.equal(server().requests.length, 3);
    } finally {
      await setUserSetting('dailyBudgetUsd', undefined);
    }
  });

  test('review #14: generations waiting on the cost confirmation are checked against the budget again once confirmed', async () => {
    const api = await testApi();
    const request = api.generation.buildRequest('A confirmed poster', { quality: 'low' });
    const estimate = api.generation.estimate(request).usd;
    await setUserSetting('confirmAboveUsd', 0);
    await setUserSetting('dailyBudgetUsd', api.generation.spend.today() + 1.5 * estimate);
    const window = vscode.window as unknown as { showWarningMessage: (...args: unknown[]) => Thenable<unknown> };
    const original = window.showWarningMessage;
    let asked = 0;
    let answer: () => void = () => undefined;
    const bothAsked = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // Both questions are open at once, then both are answered Generate.
    window.showWarningMessage = async () => {
      if (++asked === 2) answer();
      await bothAsked;
      return 'Generate';
    };
    try {
      const runs = [0, 1].map(() =>
        api.generation.generate(request, target, new AbortController().signal).then(
          () => 'sent',
          (error: unknown) => (error instanceof ImageApiError && error.param === 'dailyBudgetUsd' ? 'refused' : `other: ${String(error)}`),
        ),
      );
      const outcomes = await Promise.all(runs);
      assert.equal(asked, 2, 'both were asked');
      assert.deepEqual([...outcomes].sort(), ['refused', 'sent']);
      assert.equal(server().requests.length, 1, 'only the one that fits was sent');
    } finally {
      window.showWarningMessage = original;
      await setUserSetting('confirmAboveUsd', undefined);
      await setUserSetting('dailyBudgetUsd', undefined);
    }
  });

  test('a gateway without a balance endpoint degrades quietly to usage-based figures', async () => {
    const api = await testApi();
    server().balance.behaviour = 'notFound';
    api.generation.balance.reset();
    const request = api.generation.buildRequest('A quiet harbour', { quality: 'low' });
    const outcome = await api.generation.generate(request, target, new AbortController().signal);
    assert.equal(outcome.cost.basis, 'usage');
    assert.equal(outcome.cost.chargedUsd, undefined);
    assert.equal(api.generation.balance.isUnsupported(server().baseUrl), true);
    const asked = server().balance.requests.length;
    await api.generation.generate(request, target, new AbortController().signal);
    assert.equal(server().balance.requests.length, asked, 'not asked again');
    api.generation.balance.reset();
  });

  test('a 403 Token Group disabled explains itself with the balance', async () => {
    const api = await testApi();
    api.generation.balance.reset();
    server().script({ status: 403, error: { message: 'Token Group default Has Been Disabled', type: 'new_api_error' } });
    const request = api.generation.buildRequest('A lantern', { quality: 'low' });
    await assert.rejects(api.generation.generate(request, target, new AbortController().signal), (error: unknown) => {
      assert.ok(error instanceof ImageApiError);
      assert.equal(error.kind, 'permission');
      assert.match(error.message, /Token Group default Has Been Disabled\. WisGate balance: \$25\.00/);
      return true;
    });
    assert.equal(api.generation.spend.session() >= 0, true);
  });

  test('Set API Key checks the key for free: the message names the balance, or the rejection', async () => {
    const { keyCheckMessage } = await import('../../src/commands/apiKey');
    const api = await testApi();
    server().balance.behaviour = 'ok';
    const works = keyCheckMessage(await api.generation.refreshBalanceNow());
    assert.match(works[1], /Key works — balance \$25\.00/);
    server().balance.behaviour = 'unauthorized';
    const rejected = keyCheckMessage(await api.generation.refreshBalanceNow());
    assert.equal(rejected[0], 'warning');
    assert.match(rejected[1], /rejected it \(401\)/);
    server().balance.behaviour = 'notFound';
    api.generation.balance.reset();
    assert.equal(keyCheckMessage(await api.generation.refreshBalanceNow())[1], 'GPT Image: API key saved in secret storage.');
    api.generation.balance.reset();
  });

  test('streamed through the extension: previews arrive first, cost per stream; a broken stream counts as spent and is not resent', async () => {
    const api = await testApi();
    const seen: number[] = [];
    const request = api.generation.buildRequest('A paper boat', { quality: 'low', n: 2 });
    const previews = { partialImages: 1, onPartial: (imageIndex: number) => seen.push(imageIndex) };
    const outcome = await api.generation.generate(request, target, new AbortController().signal, undefined, undefined, { previews });
    assert.equal(outcome.files.length, 2);
    assert.deepEqual([...seen].sort(), [0, 1], 'each image streamed its own preview');
    assert.equal(server().requests.length, 2, 'two single streams');
    // Per stream: ceil(12/4) = 3 text tokens in, 1056 + 100 (one preview) image tokens out.
    assert.ok(Math.abs(outcome.cost.usd - 2 * ((3 * 5 + 1156 * 30) / 1e6)) < 1e-9, `cost ${outcome.cost.usd}`);

    server().reset();
    const before = api.generation.spend.today();
    server().script({ stream: { mode: 'reset' } });
    const single = api.generation.buildRequest('A paper boat', { quality: 'low', n: 1 });
    await assert.rejects(api.generation.generate(single, target, new AbortController().signal, undefined, undefined, { previews }), /not retried automatically/);
    assert.equal(server().requests.length, 1, 'not resent');
    assert.ok(api.generation.spend.today() > before, 'the probably billed generation counts toward today');
  });
});
