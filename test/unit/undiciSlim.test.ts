import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { Agent, DispatcherClass, getGlobalDispatcher, request } from '../../src/core/api/undici';

/** src/core/api/undici.ts: undici's modules one by one behave as its index.js exports, over real loopback HTTP. */
suite('core/api/undici: the slim undici', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; body: string }> = [];

  suiteSetup(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  suiteTeardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  setup(() => (seen.length = 0));

  test('the classes and the global dispatcher are the ones undici itself exports', () => {
    assert.equal(Agent, undici.Agent);
    assert.equal(DispatcherClass, undici.Dispatcher);
    assert.equal(getGlobalDispatcher(), undici.getGlobalDispatcher());
    assert.equal(typeof new Agent().request, 'function', 'dispatchers have the api methods');
  });

  test('request keeps the path and query, sends the method and body, and reads the answer', async () => {
    const response = await request(new URL(`${base}/v1/images/generations?x=1&y=2`), { method: 'POST', body: '{"a":1}' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), { ok: true });
    assert.deepEqual(seen, [{ method: 'POST', url: '/v1/images/generations?x=1&y=2', body: '{"a":1}' }]);
  });

  test('request defaults to GET without a body and goes through the dispatcher given', async () => {
    const agent = new Agent();
    let dispatched = 0;
    const counting = agent.compose((dispatch) => (options, handler) => (dispatched++, dispatch(options, handler)));
    try {
      const response = await request(`${base}/users/me/balance`, { dispatcher: counting });
      await response.body.text();
      assert.deepEqual(seen, [{ method: 'GET', url: '/users/me/balance', body: '' }]);
      assert.equal(dispatched, 1);
    } finally {
      await agent.close();
    }
  });
});
