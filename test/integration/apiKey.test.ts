import * as assert from 'node:assert/strict';
import { testApi } from './helpers';

suite('API key storage', () => {
  const saved = process.env.WISGATE_API_KEY;

  teardown(async () => {
    if (saved === undefined) delete process.env.WISGATE_API_KEY;
    else process.env.WISGATE_API_KEY = saved;
    await (await testApi()).keys.clear();
  });

  test('round-trips through SecretStorage', async () => {
    const { keys } = await testApi();
    await keys.set('  sk-round-trip-123  ');
    assert.deepEqual(await keys.get(), { key: 'sk-round-trip-123', source: 'secretStorage' });
    assert.equal(await keys.hasStored(), true);
    await keys.clear();
    assert.equal(await keys.hasStored(), false);
  });

  test('falls back to WISGATE_API_KEY when nothing is stored, and the stored key wins', async () => {
    const { keys } = await testApi();
    await keys.clear();
    process.env.WISGATE_API_KEY = 'sk-from-env-456';
    assert.deepEqual(await keys.get(), { key: 'sk-from-env-456', source: 'environment' });
    await keys.set('sk-stored-789');
    assert.deepEqual(await keys.get(), { key: 'sk-stored-789', source: 'secretStorage' });
  });

  test('no key anywhere is undefined', async () => {
    const { keys } = await testApi();
    delete process.env.WISGATE_API_KEY;
    await keys.clear();
    assert.equal(await keys.get(), undefined);
  });

  test('the key is never written to settings', async () => {
    const { keys } = await testApi();
    await keys.set('sk-never-in-settings');
    const vscode = await import('vscode');
    const all = JSON.stringify(vscode.workspace.getConfiguration('gptImage'));
    assert.ok(!all.includes('sk-never-in-settings'));
  });
});
