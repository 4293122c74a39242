import * as assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { Agent, request } from 'undici';
import { AddressGuard, InternalAddressError, internalRange, isLoopbackHost, type Lookup } from '../../src/core/api/addressPolicy';
import { smallPng, startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';

/** A DNS of fixed answers that counts its queries. */
function fakeDns(answers: Record<string, readonly string[] | (() => readonly string[])>): Lookup & { queries: string[] } {
  const queries: string[] = [];
  const lookup = async (hostname: string): Promise<LookupAddress[]> => {
    queries.push(hostname);
    const answer = answers[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return (typeof answer === 'function' ? answer() : answer).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { queries });
}

suite('addressPolicy: which addresses are internal', () => {
  test('the ranges issue #9 names, and their neighbours outside', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', undefined],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'CGNAT'],
      ['100.127.255.255', 'CGNAT'],
      ['100.128.0.1', undefined],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['fc00::1', 'unique local'],
      ['fd12:3456::1', 'unique local'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['2001:db8::1', 'reserved'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['64:ff9b::a00:1', 'private'],
      ['64:ff9b::10.0.0.1', 'private'],
      ['2002:c0a8:101::1', 'private'],
      ['8.8.8.8', undefined],
      ['93.184.216.34', undefined],
      ['2606:4700::1111', undefined],
      ['::ffff:8.8.8.8', undefined],
      ['64:ff9b::808:808', undefined],
      ['not-an-ip', 'invalid'],
    ];
    for (const [address, range] of cases) assert.equal(internalRange(address), range, address);
  });

  test('isLoopbackHost: localhost and loopback literals only, no DNS', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:7f00:1]']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['api.wisgate.ai', '10.0.0.1', 'localhost.example', '127.0.0.1.nip.io', '[fe80::1]', '0.0.0.0']) assert.ok(!isLoopbackHost(host), host);
    // Issue #9, F9: getaddrinfo("localhost.") may ask a DNS server, so the trailing dot is not this machine.
    for (const host of ['localhost.', 'LOCALHOST.', 'localhost..']) assert.ok(!isLoopbackHost(host), host);
  });
});

suite('addressPolicy: AddressGuard', () => {
  let server: FakeImageServer;

  suiteSetup(async () => {
    server = await startFakeImageServer();
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  test('a name is refused when any of its addresses is internal', async () => {
    const dns = fakeDns({ 'cdn.test': ['93.184.216.34'], 'mixed.test': ['93.184.216.34', '10.0.0.7'], 'meta.test': ['169.254.169.254'] });
    const guard = new AddressGuard(dns);
    assert.deepEqual(await guard.check('cdn.test'), [{ address: '93.184.216.34', family: 4 }]);
    await assert.rejects(guard.check('mixed.test'), (error: unknown) => {
      assert.ok(error instanceof InternalAddressError);
      assert.equal(error.address, '10.0.0.7');
      assert.equal(error.range, 'private');
      return true;
    });
    await assert.rejects(guard.check('meta.test'), /169\.254\.169\.254 \(link-local\)/);
    await assert.rejects(guard.check('[::1]'), /loopback/);
    await assert.rejects(guard.check('nowhere.test'), /ENOTFOUND/);
  });

  test('the socket connects to the address checked: DNS answering differently later changes nothing', async () => {
    // A rebinding DNS: public (here, loopback treated as public) for the check, internal afterwards.
    let calls = 0;
    const dns = fakeDns({ 'rebind.test': () => (calls++ === 0 ? ['127.0.0.1'] : ['10.9.9.9']) });
    const guard = new AddressGuard(dns, (address) => (address === '127.0.0.1' ? undefined : internalRange(address)));
    const agent = new Agent({ connect: { lookup: guard.connectLookup } });
    const file = new URL(server.addFile('pinned.png', smallPng()));
    try {
      await guard.check('rebind.test');
      for (let i = 0; i < 2; i++) {
        const response = await request(`http://rebind.test:${server.port}${file.pathname}`, { dispatcher: agent, reset: true });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(Buffer.from(await response.body.arrayBuffer()), smallPng());
      }
      assert.deepEqual(dns.queries, ['rebind.test'], 'resolved once, for the check');
    } finally {
      await agent.close();
    }
  });

  test('connecting to a name whose addresses are internal fails in the lookup, before any connection', async () => {
    const dns = fakeDns({ 'evil.test': ['127.0.0.1'] });
    const agent = new Agent({ connect: { lookup: new AddressGuard(dns).connectLookup } });
    try {
      await assert.rejects(request(`http://evil.test:${server.port}/v1/files/x.png`, { dispatcher: agent }), (error: unknown) => {
        let current: unknown = error;
        while (current && !(current instanceof InternalAddressError)) current = (current as { cause?: unknown }).cause;
        assert.ok(current instanceof InternalAddressError, String(error));
        return true;
      });
      assert.equal(server.requests.length, 0);
    } finally {
      await agent.close();
    }
  });
});
