import * as assert from 'node:assert/strict';
import { maxApiKeyLength, validateApiKey } from '../../src/core/apiKeyRules';

suite('apiKeyRules: what the Set API Key box accepts', () => {
  test('a real-looking key passes, surrounding whitespace trimmed', () => {
    assert.equal(validateApiKey('  sk-test-0123456789abcdef \n'), undefined);
    assert.equal(validateApiKey(`sk-${'a'.repeat(maxApiKeyLength - 3)}`), undefined);
  });

  test('empty, spaced, too short and too long get a sentence each', () => {
    assert.match(validateApiKey('   ') ?? '', /Paste the API key/);
    assert.match(validateApiKey('sk-abc def-0123') ?? '', /no spaces/);
    assert.match(validateApiKey('sk-abc') ?? '', /too short/);
    assert.match(validateApiKey(`sk-${'a'.repeat(maxApiKeyLength)}`) ?? '', /too long for an API key \(at most 512 characters\)/);
  });
});
