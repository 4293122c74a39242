import * as assert from 'node:assert/strict';
import * as engine from '../../src/core/engine';
import { BalanceTracker } from '../../src/generation/balanceTracker';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';

const key = 'sk-test-TRACKER-0123456789abcdef';

suite('balanceTracker: who shares a balance request, through real HTTP', () => {
  let server: FakeImageServer;
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  const options = (apiKey = key) => ({ baseUrl: server.baseUrl, apiKey, logger: quiet });

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(() => server.close());
  setup(() => {
    server.reset();
    server.balance.behaviour = { delayMs: 150 };
  });

  test('Set API Key: the key check and the key-change refresh (share) cost one request, and both get its answer', async () => {
    const tracker = new BalanceTracker(() => engine, quiet);
    const [first, second] = await Promise.all([tracker.refresh(options(), { share: true }), tracker.refresh(options(), { share: true })]);
    assert.equal(server.balance.requests.length, 1);
    assert.deepEqual(first, second);
    assert.equal(first.kind, 'balance');
    assert.equal(tracker.current(server.baseUrl)?.availableUsd, 25);
    await tracker.refresh(options(), { share: true });
    assert.equal(server.balance.requests.length, 2, 'shared only while on its way, never cached');
  });

  test('without share (the balance after a generation), a request on its way is not reused', async () => {
    const tracker = new BalanceTracker(() => engine, quiet);
    await Promise.all([tracker.refresh(options(), { share: true }), tracker.refresh(options())]);
    assert.equal(server.balance.requests.length, 2);
  });

  test('another key does not share, and an answer sent before reset() (the key changed) is not kept', async () => {
    const tracker = new BalanceTracker(() => engine, quiet);
    const old = tracker.refresh(options(), { share: true });
    const other = tracker.refresh(options('sk-test-OTHER-0000000000000000'), { share: true });
    tracker.reset();
    assert.equal((await old).kind, 'balance', 'the caller still gets its answer');
    assert.equal((await other).kind, 'rejected');
    assert.equal(server.balance.requests.length, 2);
    assert.equal(tracker.current(), undefined, "the old key's balance is not shown for the new one");
  });

  test("an answer for a key no longer in use is returned but not kept (a generation's balance after, once the key changed)", async () => {
    let current = 'sk-test-NEWKEY-00000000000000';
    const tracker = new BalanceTracker(() => engine, quiet, async () => current);
    const old = await tracker.refresh(options());
    assert.equal(old.kind, 'balance', 'its caller gets it');
    assert.equal(tracker.current(server.baseUrl), undefined, "the old key's balance is not shown for the new one");
    current = key;
    await tracker.refresh(options());
    assert.equal(tracker.current(server.baseUrl)?.availableUsd, 25);
  });

  test('a request sent earlier that answers later does not replace the newer balance', async () => {
    const tracker = new BalanceTracker(() => engine, quiet);
    server.balance.behaviour = { delayMs: 300 };
    const slow = tracker.refresh(options(), { share: true }); // the status bar's refresh, slow to answer
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.balance.behaviour = 'ok';
    server.balance.availableUsd = 24.9; // a generation was charged meanwhile
    await tracker.refresh(options()); // its balance after, sent later, answered first
    assert.equal(tracker.current(server.baseUrl)?.availableUsd, 24.9);
    await slow;
    assert.equal(tracker.current(server.baseUrl)?.availableUsd, 24.9, 'the older answer is not kept over it');
  });
});
