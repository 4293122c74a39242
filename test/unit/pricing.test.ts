import * as assert from 'node:assert/strict';
import {
  addCosts,
  builtInPricing,
  costFromUsage,
  estimateCost,
  formatBalance,
  formatCost,
  formatUsd,
  maxRatePerMillion,
  parsePricingSetting,
  pricingFor,
} from '../../src/core/pricing';
import { pixelCount } from '../../src/shared/cost';

const gpt2 = builtInPricing['gpt-image-2']!;
const square = { size: '1024x1024', n: 1 };
const close = (actual: number, expected: number, digits = 3): void =>
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} ≈ ${expected}`);

suite('pricing: rates', () => {
  test('gpt-image-2 rates are the published ones, with a source and a date', () => {
    assert.equal(gpt2.textInputPerMillion, 5);
    assert.equal(gpt2.imageInputPerMillion, 8);
    assert.equal(gpt2.imageOutputPerMillion, 30);
    assert.match(gpt2.source, /gpt-image-2/);
    assert.match(gpt2.asOf, /^\d{4}-\d{2}-\d{2}$/);
  });

  test('an unknown model borrows gpt-image-2 rates and says so', () => {
    const resolved = pricingFor('my-relay-model');
    assert.equal(resolved.origin, 'assumed');
    assert.equal(resolved.rates.imageOutputPerMillion, 30);
  });

  test('the setting wins over the table; * covers other models; __proto__ is not a model', () => {
    const { overrides, problems } = parsePricingSetting({ 'gpt-image-2': { imageOutput: 12 }, '*': { textInput: 1 } });
    assert.deepEqual(problems, []);
    assert.deepEqual(pricingFor('gpt-image-2', overrides).rates, { textInputPerMillion: 5, imageInputPerMillion: 8, imageOutputPerMillion: 12 });
    assert.equal(pricingFor('gpt-image-2', overrides).origin, 'setting');
    assert.equal(pricingFor('gpt-image-2', overrides).source, 'your pricing setting');
    assert.equal(pricingFor('gpt-image-2', overrides, 'gptImage.pricing').source, 'your gptImage.pricing setting');
    assert.equal(pricingFor('other', overrides).rates.textInputPerMillion, 1);
    assert.equal(pricingFor('__proto__').origin, 'assumed');
    assert.equal(pricingFor('constructor').origin, 'assumed');
  });

  test('hostile setting values are dropped with a sentence each, never echoed', () => {
    for (const bad of [
      { 'gpt-image-2': { imageOutput: -1 } },
      { 'gpt-image-2': { imageOutput: Number.NaN } },
      { 'gpt-image-2': { imageOutput: 1e308 } },
      { 'gpt-image-2': { imageOutput: maxRatePerMillion + 1 } },
      { 'gpt-image-2': { imageOutput: '30' } },
      { 'gpt-image-2': { imageOutput: 30, bogus: 1 } },
      { 'gpt-image-2': [30] },
      { 'gpt-image-2': null },
    ]) {
      const { overrides, problems } = parsePricingSetting(bad);
      assert.deepEqual(Object.keys(overrides), [], JSON.stringify(bad));
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^The pricing setting's entry "gpt-image-2" needs/);
      assert.match(parsePricingSetting(bad, 'gptImage.pricing').problems[0]!, /^The gptImage\.pricing setting's entry "gpt-image-2"/);
    }
    const link = parsePricingSetting({ '[x](command:evil)': { imageOutput: 1 } });
    assert.deepEqual(Object.keys(link.overrides), []);
    assert.doesNotMatch(link.problems[0]!, /command:/);
    assert.equal(parsePricingSetting('cheap').problems.length, 1);
    assert.equal(parsePricingSetting([1]).problems.length, 1);
    assert.deepEqual(Object.keys(parsePricingSetting(undefined).overrides), []);
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`m${i}`, { imageOutput: 1 }]));
    const capped = parsePricingSetting(many);
    assert.equal(Object.keys(capped.overrides).length, 50);
    assert.equal(capped.problems.length, 1);
  });

  test('0 is a valid rate (a free gateway): the user may set it', () => {
    const { overrides } = parsePricingSetting({ '*': { textInput: 0, imageInput: 0, imageOutput: 0 } });
    assert.equal(estimateCost({ ...square, quality: 'high' }, pricingFor('x', overrides).rates).usd, 0);
  });
});

suite('pricing: estimate before sending', () => {
  test('per 1024² about $0.006 low, $0.053 medium, $0.211 high', () => {
    close(estimateCost({ ...square, quality: 'low' }, gpt2).usd, 0.006);
    close(estimateCost({ ...square, quality: 'medium' }, gpt2).usd, 0.053);
    close(estimateCost({ ...square, quality: 'high' }, gpt2).usd, 0.211);
    assert.equal(estimateCost({ ...square, quality: 'high' }, gpt2).basis, 'estimate');
  });

  test('auto quality counts as high, auto size as 1536x1024; scales by pixels and n', () => {
    close(estimateCost({ ...square, quality: 'auto' }, gpt2).usd, 0.211);
    close(estimateCost({ ...square }, gpt2).usd, 0.211);
    close(estimateCost({ size: 'auto', quality: 'high', n: 1 }, gpt2).usd, 0.211 * 1.5);
    close(estimateCost({ size: '2048x2048', quality: 'medium', n: 3 }, gpt2).usd, 0.053 * 4 * 3, 2);
    assert.equal(pixelCount('garbage'), 1024 * 1024);
  });

  test('previews and the prompt add a little', () => {
    const base = estimateCost({ ...square, quality: 'low' }, gpt2).usd;
    close(estimateCost({ ...square, quality: 'low', partialImages: 2 }, gpt2).usd - base, (200 * 30) / 1e6, 6);
    close(estimateCost({ ...square, quality: 'low', prompt: 'x'.repeat(4000) }, gpt2).usd - base, (1000 * 5) / 1e6, 6);
  });

  test('hostile options stay finite: n clamped to 1–10, NaN rates count as 0', () => {
    assert.ok(Number.isFinite(estimateCost({ size: '99999x99999', quality: 'high', n: 1e308 }, gpt2).usd));
    close(estimateCost({ ...square, quality: 'high', n: Number.NaN }, gpt2).usd, 0.211);
    const nanRates = { textInputPerMillion: Number.NaN, imageInputPerMillion: -1, imageOutputPerMillion: Infinity };
    assert.equal(estimateCost({ ...square, quality: 'high' }, nanRates).usd, 0);
  });
});

suite('pricing: cost from usage', () => {
  const request = { ...square, quality: 'high' as const };

  test('the documented shape', () => {
    const usage = { total_tokens: 4260, input_tokens: 60, output_tokens: 4200, input_tokens_details: { text_tokens: 60, image_tokens: 0 } };
    const cost = costFromUsage(usage, request, gpt2);
    assert.equal(cost.basis, 'usage');
    close(cost.usd, (60 * 5 + 4200 * 30) / 1e6, 6);
    assert.equal(formatCost(cost), '$0.13');
  });

  test('image input tokens at the image rate; undetailed rest at the request kind’s rate', () => {
    const usage = { input_tokens: 1100, output_tokens: 10, input_tokens_details: { text_tokens: 50, image_tokens: 1000 } };
    close(costFromUsage(usage, request, gpt2).usd, (50 * 5 + 1000 * 8 + 50 * 5 + 10 * 30) / 1e6, 7);
    close(costFromUsage({ input_tokens: 100, output_tokens: 10 }, { ...request, inputImages: true }, gpt2).usd, (100 * 8 + 10 * 30) / 1e6, 7);
  });

  test('missing details, digit strings, only a total', () => {
    close(costFromUsage({ input_tokens: 60, output_tokens: 4200 }, request, gpt2).usd, (60 * 5 + 4200 * 30) / 1e6, 6);
    close(costFromUsage({ input_tokens: '60', output_tokens: ' 4200 ' }, request, gpt2).usd, (60 * 5 + 4200 * 30) / 1e6, 6);
    close(costFromUsage({ total_tokens: 1000 }, request, gpt2).usd, (1000 * 30) / 1e6, 6);
  });

  test('no usage, or untrustworthy usage, falls back to the estimate with a note', () => {
    const estimate = estimateCost(request, gpt2).usd;
    for (const usage of [
      undefined,
      null,
      'lots',
      [],
      {},
      { input_tokens: 5 },
      { output_tokens: 1e308 },
      { output_tokens: -5 },
      { output_tokens: Number.NaN },
      { output_tokens: Infinity },
      { output_tokens: 1.5 },
      { output_tokens: '1e9' },
      { output_tokens: '-3' },
      { output_tokens: 10, input_tokens_details: { text_tokens: -1 } },
      { output_tokens: 6_000_000 },
      // Review #14: an image was returned, so 0 output tokens is a relay's placeholder, not a price:
      // believed, every image would cost $0.00 and the daily budget would never refuse.
      { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
      { total_tokens: 0 },
      { input_tokens: 60, output_tokens: '0' },
    ]) {
      const cost = costFromUsage(usage, request, gpt2);
      assert.equal(cost.basis, 'estimate', JSON.stringify(usage));
      assert.equal(cost.usd, estimate);
      assert.ok(cost.note);
      assert.match(formatCost(cost), /^≈ \$0\.21 \(estimate\)$/);
    }
  });
});

suite('pricing: formatting and sums', () => {
  test('formats', () => {
    assert.equal(formatUsd(0.211), '$0.21');
    assert.equal(formatUsd(0.0531), '$0.053');
    assert.equal(formatUsd(0.006), '$0.006');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(-4), '$0.00');
    assert.equal(formatUsd(Number.NaN), '$0.00');
    assert.equal(formatUsd(1234.5), '$1,234.50');
    assert.equal(formatUsd(12.4), '$12.40');
    // Review #14: a balance can be overdrawn; it must not read as $0.00.
    assert.equal(formatBalance(-12.5), '−$12.50');
    assert.equal(formatBalance(3.2), '$3.20');
    assert.equal(formatBalance(Number.NaN), '$0.00');
    assert.equal(formatCost({ usd: 0.211, basis: 'estimate' }), '≈ $0.21 (estimate)');
    assert.equal(formatCost({ usd: 0.211, basis: 'usage' }), '$0.21');
  });

  test('a sum is an estimate when any part is', () => {
    assert.deepEqual(addCosts([{ usd: 0.1, basis: 'usage' }, { usd: 0.2, basis: 'usage' }]).basis, 'usage');
    assert.deepEqual(addCosts([{ usd: 0.1, basis: 'usage' }, { usd: 0.2, basis: 'estimate' }]).basis, 'estimate');
    close(addCosts([{ usd: 0.1, basis: 'usage' }, { usd: 0.2, basis: 'usage' }]).usd, 0.3);
  });
});
