import * as assert from 'node:assert/strict';
import { ConfirmedCalls, keyOf, maxPending, pendingMs } from '../../src/agent/confirmedCalls';
import { registerWithCursor, type CursorMcpApi } from '../../src/agent/cursorRegistration';

/** Cursor's `vscode.cursor.mcp`, recorded (Cursor itself is not available here). */
function recordingCursor(): CursorMcpApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    registerServer: (config) => calls.push(`register ${config.name} ${config.server.url}`),
    unregisterServer: (name) => calls.push(`unregister ${name}`),
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

suite('Cursor registration (review L9)', () => {
  test('a server that starts after the window was disposed is never registered', async () => {
    const cursor = recordingCursor();
    const server = deferred<{ url: string; headers: Record<string, string> }>();
    const registration = registerWithCursor(cursor, 'gpt-image-studio', server.promise, () => undefined);
    registration.dispose();
    server.resolve({ url: 'http://127.0.0.1:1/mcp', headers: {} });
    await settle();
    assert.deepEqual(cursor.calls, []);
  });

  test('a registration is undone on dispose, once', async () => {
    const cursor = recordingCursor();
    const registration = registerWithCursor(cursor, 'gpt-image-studio', Promise.resolve({ url: 'http://127.0.0.1:2/mcp', headers: { Authorization: 'Bearer t' } }), () => undefined);
    await settle();
    registration.dispose();
    registration.dispose();
    assert.deepEqual(cursor.calls, ['register gpt-image-studio http://127.0.0.1:2/mcp', 'unregister gpt-image-studio']);
  });

  test('a failed start is logged, not thrown, and nothing is registered', async () => {
    const cursor = recordingCursor();
    const warnings: string[] = [];
    registerWithCursor(cursor, 'x', Promise.reject(new Error('no port')), (message) => warnings.push(message));
    await settle();
    assert.deepEqual(cursor.calls, []);
    assert.match(warnings.join(), /no port/);
  });

  test('re-review: Cursor refusing the registration is logged, not an unhandled rejection, and not unregistered later', async () => {
    const calls: string[] = [];
    const cursor: CursorMcpApi = {
      registerServer: () => {
        throw new Error('registry full');
      },
      unregisterServer: (name) => calls.push(`unregister ${name}`),
    };
    const warnings: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const registration = registerWithCursor(cursor, 'x', Promise.resolve({ url: 'http://127.0.0.1:3/mcp', headers: {} }), (message) => warnings.push(message));
      await settle();
      await settle();
      registration.dispose();
      assert.deepEqual(unhandled, []);
      assert.match(warnings.join(), /Registering the MCP server with Cursor failed: Error: registry full/);
      assert.deepEqual(calls, [], 'nothing was registered, so nothing is unregistered');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

suite('confirmed tool calls (review M2)', () => {
  const plan = { kind: 'plan' as const, now: new Date(0), fingerprint: 'f' };

  test('the input is matched whatever the key order, and each confirmation is taken once', () => {
    const calls = new ConfirmedCalls();
    calls.remember({ prompt: 'a', n: 2, nested: { b: 1, a: 2 } }, plan);
    assert.equal(calls.take({ prompt: 'b' }), undefined);
    assert.equal(calls.take({ nested: { a: 2, b: 1 }, n: 2, prompt: 'a' }), plan);
    assert.equal(calls.take({ prompt: 'a', n: 2, nested: { b: 1, a: 2 } }), undefined, 'not twice');
    assert.equal(keyOf(['b', 'a']), '["b","a"]', 'lists keep their order');
  });

  test('re-review F4: after a denied confirmation, the same call allowed later runs with the later confirmation', () => {
    const calls = new ConfirmedCalls();
    const denied = { kind: 'plan' as const, now: new Date('2026-12-02T13:50:00Z'), fingerprint: 'f' };
    const allowed = { kind: 'plan' as const, now: new Date('2026-12-02T14:20:00Z'), fingerprint: 'f' };
    calls.remember({ prompt: 'hero banner' }, denied); // Deny: invoke never comes for this one
    calls.remember({ prompt: 'hero banner' }, allowed);
    assert.equal(calls.take({ prompt: 'hero banner' }), allowed, 'the names carry the time the user saw last');
  });

  test('confirmations expire and are bounded in number', () => {
    let now = 0;
    const calls = new ConfirmedCalls(() => now);
    calls.remember({ prompt: 'old' }, plan);
    now = pendingMs + 1;
    assert.equal(calls.take({ prompt: 'old' }), undefined);
    for (let i = 0; i <= maxPending; i++) calls.remember({ prompt: String(i) }, plan);
    assert.equal(calls.take({ prompt: '0' }), undefined, 'the oldest was dropped');
    assert.equal(calls.take({ prompt: String(maxPending) }), plan);
  });
});
