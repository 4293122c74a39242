import * as assert from 'node:assert/strict';
import { isFromWebview, isOneOf, isOutcome, isRunId, runIdOf, type FromWebview, type ToWebview } from '../../src/shared/protocol';
import { maxPromptLength } from '../../src/shared/options';

const options = { size: '1024x1024', quality: 'high', n: 2, outputFormat: 'png', background: 'transparent' } as const;
const id = '3f1c2a9e-7d4b-4c1e-9a51-0c2f7a8b6d10';
const runId = '9b2e41c07d5a4f18a3c6e0d2b7f95a61';

suite('isFromWebview: accepts every message type', () => {
  const valid: FromWebview[] = [
    { type: 'ready' },
    { type: 'cancel', runId },
    { type: 'cancel', runId: 'r' },
    { type: 'cancel', runId: 'A'.repeat(64) },
    { type: 'generate', runId, prompt: 'A lighthouse at dusk, watercolor, wide shot', options },
    { type: 'generate', runId: 'run_1-b', prompt: 'p', options: { ...options, size: 'auto', quality: 'auto', n: 1 } },
    { type: 'generate', runId, prompt: 'p', options: { ...options, size: '2048x1152', n: 10, outputFormat: 'webp' } },
    { type: 'generate', runId, prompt: 'p', options: { ...options, outputFormat: 'jpeg', background: 'opaque' } },
    { type: 'generate', runId, prompt: 'x'.repeat(maxPromptLength), options },
    { type: 'generate', runId, prompt: '🌅'.repeat(maxPromptLength), options },
    { type: 'insert', id, index: 0 },
    { type: 'open', id, index: 9 },
    { type: 'reveal', id: 'a', index: 3 },
    { type: 'copyLink', id: 'entry_1-2', index: 1 },
    { type: 'errorAction', action: 'setApiKey' },
    { type: 'errorAction', action: 'openSettings' },
    { type: 'errorAction', action: 'showLog' },
    // The alert's Try Again (issue #11): the failed run and the new run's id, nothing else.
    { type: 'tryAgain', runId, newRunId: 'f'.repeat(32) },
  ];
  for (const message of valid) {
    test(`${message.type} ${JSON.stringify(message).slice(0, 80)}`, () => {
      assert.equal(isFromWebview(message), true);
      // What arrives is structured-cloned JSON: the same must hold after a round trip.
      assert.equal(isFromWebview(JSON.parse(JSON.stringify(message))), true);
    });
  }
});

suite('isFromWebview: rejects malformed, oversized and unknown messages', () => {
  const generate = (changes: Record<string, unknown>): unknown => ({ type: 'generate', runId, prompt: 'p', options, ...changes });
  const withOptions = (changes: Record<string, unknown>): unknown => generate({ options: { ...options, ...changes } });
  const withoutOption = (key: string): unknown => {
    const copy: Record<string, unknown> = { ...options };
    delete copy[key];
    return generate({ options: copy });
  };

  const invalid: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ready'],
    ['a number', 42],
    ['an array', [{ type: 'ready' }]],
    ['an empty object', {}],
    ['a numeric type', { type: 1 }],
    ['an unknown type', { type: 'deleteEverything' }],
    ['a type with other case', { type: 'Ready' }],
    ['the host-to-webview type init', { type: 'init' }],
    ['ready with extra keys', { type: 'ready', apiKey: 'sk-123' }],
    ['cancel with extra keys', { type: 'cancel', runId, id }],
    ['cancel without runId', { type: 'cancel' }],
    ['cancel with an empty runId', { type: 'cancel', runId: '' }],
    ['cancel with an oversized runId', { type: 'cancel', runId: 'a'.repeat(65) }],
    ['cancel with a numeric runId', { type: 'cancel', runId: 7 }],
    ['cancel with a runId list', { type: 'cancel', runId: [runId] }],
    ['cancel with a wildcard runId', { type: 'cancel', runId: '*' }],
    ['generate without runId', { type: 'generate', prompt: 'p', options }],
    ['generate with a path as runId', generate({ runId: '../other' })],
    ['generate with a runId holding a space', generate({ runId: 'run 1' })],
    ['generate with a runId holding a newline', generate({ runId: 'run\n1' })],
    ['generate with a non-ASCII runId', generate({ runId: 'rün' })],
    ['generate with a null runId', generate({ runId: null })],
    ['a prototype-polluting key', JSON.parse('{"type":"ready","__proto__":{"x":1}}')],
    ['generate without prompt', { type: 'generate', runId, options }],
    ['generate without options', { type: 'generate', runId, prompt: 'p' }],
    ['generate with an extra key', generate({ apiKey: 'sk-123' })],
    ['a non-string prompt', generate({ prompt: 42 })],
    ['an empty prompt', generate({ prompt: '' })],
    ['a blank prompt', generate({ prompt: ' \n\t ' })],
    ['an oversized prompt', generate({ prompt: 'x'.repeat(maxPromptLength + 1) })],
    ['a huge prompt', generate({ prompt: 'x'.repeat(10 * maxPromptLength) })],
    ['options as an array', generate({ options: [options] })],
    ['options as null', generate({ options: null })],
    ['options with an extra key', withOptions({ model: 'other-model' })],
    ['options without size', withoutOption('size')],
    ['options without n', withoutOption('n')],
    ['options without background', withoutOption('background')],
    ['a size that is not WxH', withOptions({ size: 'big' })],
    ['a size with a path', withOptions({ size: '../../etc/passwd' })],
    ['a size with spaces', withOptions({ size: '1024 x 1024' })],
    ['an oversized size', withOptions({ size: '1'.repeat(40) + 'x1024' })],
    ['a numeric size', withOptions({ size: 1024 })],
    ['an unknown quality', withOptions({ quality: 'ultra' })],
    ['an uppercase quality', withOptions({ quality: 'HIGH' })],
    ['an unknown format', withOptions({ outputFormat: 'gif' })],
    ['format jpg (the API says jpeg)', withOptions({ outputFormat: 'jpg' })],
    ['an unknown background', withOptions({ background: 'blue' })],
    ['n = 0', withOptions({ n: 0 })],
    ['n = 11', withOptions({ n: 11 })],
    ['n = -1', withOptions({ n: -1 })],
    ['n = 1.5', withOptions({ n: 1.5 })],
    ['n = NaN', withOptions({ n: Number.NaN })],
    ['n = Infinity', withOptions({ n: Number.POSITIVE_INFINITY })],
    ['n as a string', withOptions({ n: '2' })],
    ['insert without id', { type: 'insert', index: 0 }],
    ['insert without index', { type: 'insert', id }],
    ['insert with an empty id', { type: 'insert', id: '', index: 0 }],
    ['insert with an oversized id', { type: 'insert', id: 'a'.repeat(65), index: 0 }],
    ['insert with a path as id', { type: 'insert', id: '../secrets', index: 0 }],
    ['insert with a numeric id', { type: 'insert', id: 7, index: 0 }],
    ['insert with a file path', { type: 'insert', id, index: 0, file: '/etc/passwd' }],
    ['open with a negative index', { type: 'open', id, index: -1 }],
    ['open with index 10', { type: 'open', id, index: 10 }],
    ['reveal with a fractional index', { type: 'reveal', id, index: 0.5 }],
    ['copyLink with a string index', { type: 'copyLink', id, index: '0' }],
    ['an unknown error action', { type: 'errorAction', action: 'runCommand' }],
    ['an error action that is a command id', { type: 'errorAction', action: 'gptImage.setApiKey' }],
    ['an error action without action', { type: 'errorAction' }],
    ['an error action with an extra key', { type: 'errorAction', action: 'showLog', args: [] }],
    ['tryAgain without the new run id', { type: 'tryAgain', runId }],
    ['tryAgain reusing the failed run id', { type: 'tryAgain', runId, newRunId: runId }],
    ['tryAgain with a malformed run id', { type: 'tryAgain', runId: '../x', newRunId: 'f'.repeat(32) }],
    ['tryAgain carrying its own prompt', { type: 'tryAgain', runId, newRunId: 'f'.repeat(32), prompt: 'something else' }],
    ['tryAgain carrying options', { type: 'tryAgain', runId, newRunId: 'f'.repeat(32), options }],
  ];
  for (const [name, message] of invalid) {
    test(name, () => assert.equal(isFromWebview(message), false));
  }
});

suite('isOutcome: the messages a hidden panel would miss', () => {
  const entry = { id, prompt: 'p', options, model: 'gpt-image-2', createdAt: 1, images: [] };
  test('results, stops, errors and statuses are outcomes', () => {
    const outcomes: ToWebview[] = [
      { type: 'result', runId, entry, message: 'Generated 1 image' },
      { type: 'stopped', runId, message: 'Cancelled.' },
      { type: 'error', runId, message: 'The API key was rejected.', actions: ['setApiKey'] },
      { type: 'error', message: 'Open a text editor first.', actions: [] },
      { type: 'status', message: 'Copied the link.' },
    ];
    for (const message of outcomes) assert.equal(isOutcome(message), true, message.type);
  });

  test('state, progress and the gallery are not: init and later messages bring them anew', () => {
    const others: ToWebview[] = [
      { type: 'started', runId, prompt: 'p' },
      { type: 'progress', runId, elapsedSeconds: 3 },
      { type: 'hasKey', hasKey: true },
      { type: 'entries', entries: [entry] },
    ];
    for (const message of others) assert.equal(isOutcome(message), false, message.type);
  });
});

suite('runId: every run-scoped message carries it', () => {
  const entry = { id, prompt: 'p', options, model: 'gpt-image-2', createdAt: 1, images: [] };
  test('started, progress, result, stopped and a run-ending error name their run', () => {
    const runMessages: ToWebview[] = [
      { type: 'started', runId, prompt: 'p' },
      { type: 'progress', runId, elapsedSeconds: 1 },
      { type: 'result', runId, entry, message: 'Generated 1 image' },
      { type: 'stopped', runId, message: 'Cancelled.' },
      { type: 'error', runId, message: 'Rejected.', actions: [] },
    ];
    for (const message of runMessages) assert.equal(runIdOf(message), runId, message.type);
  });

  test('gallery, settings, key, status and action errors belong to no run', () => {
    const defaults = { options, model: 'gpt-image-2', customSizes: true };
    const others: ToWebview[] = [
      { type: 'init', defaults, hasKey: true, entries: [], running: [{ runId, prompt: 'p', elapsedSeconds: 2 }], missed: [] },
      { type: 'defaults', defaults },
      { type: 'hasKey', hasKey: false },
      { type: 'entries', entries: [entry] },
      { type: 'status', message: 'Copied the link.' },
      { type: 'error', message: 'Open a text editor first.', actions: [] },
    ];
    for (const message of others) assert.equal(runIdOf(message), undefined, message.type);
  });

  test('isRunId: 1-64 of A-Z a-z 0-9 _ -, nothing else', () => {
    assert.equal(isRunId(runId), true);
    assert.equal(isRunId('a'.repeat(64)), true);
    for (const bad of ['', 'a'.repeat(65), 'a b', 'a/b', 'a.b', 'é', '__proto__x\u0000', 1, null, undefined, {}, ['a']]) {
      assert.equal(isRunId(bad), false, JSON.stringify(bad));
    }
  });
});

suite('isOneOf', () => {
  test('only the listed strings', () => {
    assert.equal(isOneOf('png', ['png', 'jpeg']), true);
    assert.equal(isOneOf('gif', ['png', 'jpeg']), false);
    assert.equal(isOneOf(undefined, ['png']), false);
    assert.equal(isOneOf(['png'], ['png']), false);
  });
});
