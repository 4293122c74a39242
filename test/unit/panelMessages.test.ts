import * as assert from 'node:assert/strict';
import type { EditFromWebview } from '../../src/shared/editProtocol';
import { fromWebviewTypes, isFromWebview, type FromWebview, type FromWebviewType } from '../../src/shared/protocol';
import { dispatchFromWebview, panelMessageHandlers, type MessageOf, type PanelMessageHandlers, type PanelOperations } from '../../src/studio/panelMessages';

const options = { size: '1024x1024', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' } as const;
const id = 'entry_1';
const runId = '9b2e41c07d5a4f18a3c6e0d2b7f95a61';

/** A valid message of every type (typed over the union: a type missing here does not compile). */
const samples: { readonly [K in FromWebviewType]: MessageOf<K> } = {
  ready: { type: 'ready' },
  generate: { type: 'generate', runId, prompt: 'A lighthouse at dusk', options },
  cancel: { type: 'cancel', runId },
  insert: { type: 'insert', id, index: 0 },
  open: { type: 'open', id, index: 1 },
  reveal: { type: 'reveal', id, index: 2 },
  copyLink: { type: 'copyLink', id, index: 3 },
  errorAction: { type: 'errorAction', action: 'showLog' },
  tryAgain: { type: 'tryAgain', runId, newRunId: 'f'.repeat(32) },
  keep: { type: 'keep', id, index: 1 },
  discardOthers: { type: 'discardOthers', id },
  openParent: { type: 'openParent', id },
  describeImage: { type: 'describeImage', purpose: 'source', id, index: 0 },
  pickReferences: { type: 'pickReferences' },
  reuseEdit: { type: 'reuseEdit', id },
  edit: { type: 'edit', runId, prompt: 'Add a red hat', options, images: [{ kind: 'gallery', id, index: 0 }] },
};

/** The panel operation (name and arguments) each sample must reach. */
const expected: { readonly [K in FromWebviewType]: readonly unknown[] } = {
  ready: ['init'],
  generate: ['generate', runId, 'A lighthouse at dusk', options],
  cancel: ['cancel', runId],
  insert: ['imageCommand', 'insert', { id, index: 0 }],
  open: ['imageCommand', 'open', { id, index: 1 }],
  reveal: ['imageCommand', 'reveal', { id, index: 2 }],
  copyLink: ['imageCommand', 'copyLink', { id, index: 3 }],
  errorAction: ['errorAction', 'showLog'],
  tryAgain: ['tryAgain', runId, 'f'.repeat(32)],
  keep: ['keep', { id, index: 1 }],
  discardOthers: ['discardOthers', id],
  openParent: ['openParent', id],
  describeImage: ['edit', samples.describeImage],
  pickReferences: ['edit', samples.pickReferences],
  reuseEdit: ['edit', samples.reuseEdit],
  edit: ['edit', samples.edit],
};

/** Panel operations that record their calls. */
function recordingPanel(calls: unknown[][]): PanelOperations {
  const record =
    (name: string) =>
    async (...args: unknown[]): Promise<void> => {
      calls.push([name, ...args]);
    };
  return {
    init: record('init'),
    generate: record('generate'),
    cancel: (...args) => void calls.push(['cancel', ...args]),
    imageCommand: record('imageCommand'),
    errorAction: record('errorAction'),
    tryAgain: record('tryAgain'),
    keep: record('keep'),
    discardOthers: record('discardOthers'),
    openParent: record('openParent'),
    edit: (message: EditFromWebview) => record('edit')(message),
  };
}

suite('Studio panel dispatch: every webview message type has a handler (issue #13: reuseEdit was dropped)', () => {
  test('the protocol lists each type of FromWebview once, and each sample of the list passes isFromWebview', () => {
    assert.equal(new Set(fromWebviewTypes).size, fromWebviewTypes.length);
    assert.deepEqual([...fromWebviewTypes].sort(), Object.keys(samples).sort());
    for (const type of fromWebviewTypes) assert.ok(isFromWebview(samples[type]), `the sample ${type} is valid`);
  });

  test('the handler map has a function for every type in the list, and no other', () => {
    const handlers = panelMessageHandlers(recordingPanel([]));
    assert.deepEqual(Object.keys(handlers).sort(), [...fromWebviewTypes].sort());
    for (const type of fromWebviewTypes) assert.equal(typeof handlers[type], 'function', type);
  });

  test('each type reaches its panel operation with the message’s fields, no warning', async () => {
    for (const type of fromWebviewTypes) {
      const calls: unknown[][] = [];
      const warnings: string[] = [];
      await dispatchFromWebview(panelMessageHandlers(recordingPanel(calls)), samples[type], (line) => warnings.push(line));
      assert.deepEqual(calls, [expected[type]], type);
      assert.deepEqual(warnings, [], type);
    }
  });

  test('a validated message without a handler is logged by its type, not dropped silently', async () => {
    const calls: unknown[][] = [];
    const { reuseEdit: _dropped, ...partial } = panelMessageHandlers(recordingPanel(calls));
    const warnings: string[] = [];
    await dispatchFromWebview(partial as unknown as PanelMessageHandlers, samples.reuseEdit, (line) => warnings.push(line));
    assert.deepEqual(calls, []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /valid message of type reuseEdit has no handler; it was dropped/);
    // Inherited names are not handlers.
    await dispatchFromWebview(partial as unknown as PanelMessageHandlers, { type: 'toString' } as unknown as FromWebview, (line) => warnings.push(line));
    assert.match(warnings[1] ?? '', /type toString has no handler/);
  });

  test('a handler’s failure reaches the caller (the panel shows it as an error)', async () => {
    const panel = { ...recordingPanel([]), discardOthers: async () => Promise.reject(new Error('trash unavailable')) };
    await assert.rejects(dispatchFromWebview(panelMessageHandlers(panel), samples.discardOthers, () => undefined), /trash unavailable/);
  });
});
