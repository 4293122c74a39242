import * as assert from 'node:assert/strict';
import { balanceEndpoint, fetchBalance, parseBalance } from '../../src/core/api/balance';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';

const key = 'sk-test-BALANCE-0123456789abcdef';

suite('balance: GET {base}/users/me/balance through real HTTP', () => {
  let server: FakeImageServer;
  const lines: string[] = [];
  const options = () => ({ baseUrl: server.baseUrl, apiKey: key, logger: { info: (l: string) => lines.push(l), warn: () => {}, error: () => {} } });

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  test('the documented answer: available balance, token balance, unlimited flag; Bearer key sent', async () => {
    const result = await fetchBalance(options());
    assert.deepEqual(result, { kind: 'balance', availableUsd: 25, tokenBalanceUsd: 25, unlimited: true });
    assert.equal(server.balance.requests[0]?.authorization, `Bearer ${key}`);
    assert.equal(server.requests.length, 0, 'balance checks are kept out of the generation request log');
    assert.ok(lines.every((line) => !line.includes(key)));
  });

  test('amounts as decimal strings are read', async () => {
    server.balance.behaviour = 'strings';
    assert.deepEqual(await fetchBalance(options()), { kind: 'balance', availableUsd: 25, tokenBalanceUsd: 5.5, unlimited: false });
  });

  test('a gateway without the endpoint (404), HTML, another shape or a huge body: unsupported, quietly', async () => {
    for (const behaviour of ['notFound', 'html', 'otherShape', 'huge'] as const) {
      server.balance.behaviour = behaviour;
      const started = Date.now();
      const result = await fetchBalance(options());
      assert.equal(result.kind, 'unsupported', behaviour);
      assert.ok(Date.now() - started < 5000, `${behaviour} answered quickly`);
    }
  });

  test('401 and 403 Token Group disabled: rejected with the reason; a wrong key too', async () => {
    server.balance.behaviour = 'tokenGroupDisabled';
    const disabled = await fetchBalance(options());
    assert.equal(disabled.kind, 'rejected');
    assert.match(disabled.kind === 'rejected' ? disabled.reason : '', /Token Group default Has Been Disabled/);
    server.balance.behaviour = 'ok';
    const wrong = await fetchBalance({ ...options(), apiKey: 'sk-wrong-0000000000000000' });
    assert.deepEqual(wrong.kind === 'rejected' && wrong.status, 401);
  });

  test('a slow gateway times out as unavailable; a closed port is unavailable', async () => {
    server.balance.behaviour = { delayMs: 3000 };
    const slow = await fetchBalance({ ...options(), timeoutMs: 300 });
    assert.equal(slow.kind, 'unavailable');
    const closed = await startFakeImageServer();
    const base = closed.baseUrl;
    await closed.close();
    assert.equal((await fetchBalance({ ...options(), baseUrl: base })).kind, 'unavailable');
  });

  test('the balance drops by what a generation cost (list prices of the fixture usage)', async () => {
    const before = (await fetchBalance(options())) as { availableUsd: number };
    const response = await fetch(`${server.baseUrl}/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-2', prompt: 'abcd', n: 1 }),
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const after = (await fetchBalance(options())) as { availableUsd: number };
    assert.ok(before.availableUsd - after.availableUsd > 0.03 && before.availableUsd - after.availableUsd < 0.04);
  });
});

suite('balance: parsing', () => {
  test('shapes', () => {
    assert.equal(parseBalance('{"data":{"available_balance":3}}').kind, 'balance');
    assert.equal(parseBalance('{"available_balance":1e308}').kind, 'unsupported');
    assert.equal(parseBalance('{"available_balance":"1e3"}').kind, 'unsupported');
    assert.equal(parseBalance('{"available_balance":null}').kind, 'unsupported');
    assert.equal(parseBalance('[1]').kind, 'unsupported');
    assert.equal(parseBalance('not json').kind, 'unsupported');
    assert.deepEqual(parseBalance('{"available_balance":-2.5,"token_balance":"x"}'), { kind: 'balance', availableUsd: -2.5 });
  });

  test('endpoint next to the images endpoint, keeping the base path', () => {
    assert.equal(balanceEndpoint('https://api.wisgate.ai/v1/').href, 'https://api.wisgate.ai/v1/users/me/balance');
    assert.throws(() => balanceEndpoint('http://example.com/v1'));
  });
});
