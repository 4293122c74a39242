import * as assert from 'node:assert/strict';
import { secretStorageFailure } from '../../src/common/secretErrors';

const key = 'sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

suite('secret storage failures (Set/Clear API Key)', () => {
  test('each step says what failed and points to Show Log; the reason goes to the log', () => {
    const save = secretStorageFailure('save', new Error('Cannot create an item in a locked collection'), key);
    assert.match(save.message, /^GPT Image: could not save the API key in secret storage .*keychain.*Show Log/);
    assert.equal(save.logLine, 'Secret storage: could not save the API key in secret storage: Cannot create an item in a locked collection');
    assert.match(secretStorageFailure('read', 'no keyring').message, /could not read secret storage/);
    assert.match(secretStorageFailure('read', 'no keyring').logLine, /: no keyring$/);
    assert.match(secretStorageFailure('remove', new Error('denied')).message, /could not remove the API key from secret storage/);
  });

  test('a reason that echoes the key never shows it, in the message or the log', () => {
    const failure = secretStorageFailure('save', new Error(`store failed for value ${key} (locked)`), `  ${key}\n`);
    assert.ok(!failure.message.includes(key.slice(8, 20)), failure.message);
    assert.ok(!failure.logLine.includes(key.slice(8, 20)), failure.logLine);
    assert.match(failure.logLine, /store failed for value .*\(locked\)/);
  });
});
