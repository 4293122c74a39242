import * as assert from 'node:assert/strict';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import { describeError } from '../../src/core/errorMessages';

suite('describeError', () => {
  const cases: [ImageErrorKind, number | undefined, string[], RegExp][] = [
    ['auth', 401, ['setApiKey', 'showLog'], /API key was rejected/],
    ['permission', 403, ['setApiKey', 'showLog'], /^Size is wrong\. Your key or region may not be allowed/],
    ['quota', 429, ['showLog'], /quota is used up/],
    ['rateLimited', 429, ['showLog'], /Rate limited \(429\)/],
    ['moderation', 400, ['showLog'], /safety system refused/],
    ['invalidRequest', 400, ['openSettings', 'showLog'], /rejected the request/],
    ['notFound', 404, ['openSettings', 'showLog'], /check the base URL and model/],
    ['server', 503, ['showLog'], /had an error \(503\)/],
    ['network', undefined, ['openSettings', 'showLog'], /^Size is wrong\. Check your connection and the base URL\.$/],
    ['timeout', undefined, ['openSettings', 'showLog'], /^Size is wrong\. Try a lower quality or raise the timeout \(setting gptImage\.timeoutSeconds\)/],
    ['badResponse', 200, ['openSettings', 'showLog'], /^Size is wrong \(request id req_42\)\.$/],
    ['validation', undefined, ['openSettings', 'showLog'], /Size is wrong/],
    ['io', undefined, ['openSettings', 'showLog'], /Size is wrong/],
  ];

  test('core alone says "the timeout"; the setting name comes from the host', () => {
    const error = new ImageApiError('timeout', 'No answer in 600 s.', { requestId: 'req_9' });
    assert.equal(describeError(error, { action: 'Image generation' }).message, 'No answer in 600 s. Try a lower quality or raise the timeout (request id req_9).');
  });

  for (const [kind, status, actions, pattern] of cases) {
    test(`${kind}: one sentence with its actions and the request id`, () => {
      const error = new ImageApiError(kind, 'Size is wrong.', { status, requestId: 'req_42', param: 'size', attempts: 3 });
      // The host passes the setting's name (errorReporting's timeoutSetting); core knows no setting keys.
      const description = describeError(error, { action: 'Image generation', timeoutSetting: 'gptImage.timeoutSeconds' });
      assert.equal(description.kind, kind);
      assert.deepEqual(description.actions, actions);
      assert.match(description.message, pattern);
      if (kind !== 'validation' && kind !== 'io' && kind !== 'network') assert.match(description.message, /req_42/);
      assert.doesNotMatch(description.message, /\.\./, 'no doubled full stops');
    });
  }

  test('invalid request names the field the server blamed', () => {
    const error = new ImageApiError('invalidRequest', "Unknown parameter: 'response_format'.", { param: 'response_format' });
    assert.match(describeError(error, { action: 'Image generation' }).message, /field "response_format"\): Unknown parameter: 'response_format'\.$/);
  });

  test('an auth error without a 401 (a malformed key) does not claim the server rejected it', () => {
    const description = describeError(new ImageApiError('auth', 'The API key contains a line break'), { action: 'Image generation' });
    assert.doesNotMatch(description.message, /401|rejected/);
    assert.match(description.message, /^The API key contains a line break\. Set your WisGate API key\.$/);
    assert.deepEqual(description.actions, ['setApiKey', 'showLog']);
  });

  test('a bad prompt is fixed where it was typed: no Open Settings', () => {
    const description = describeError(new ImageApiError('validation', 'The prompt is empty.', { param: 'prompt' }), { action: 'Image generation' });
    assert.deepEqual(description.actions, ['showLog']);
  });

  test('cancellation has no actions (it is not an error toast)', () => {
    assert.deepEqual(describeError(new ImageApiError('cancelled', 'x'), { action: 'Image generation' }).actions, []);
  });

  test('an unexpected error offers the log', () => {
    const description = describeError(new TypeError('boom'), { action: 'Image generation' });
    assert.equal(description.kind, 'unexpected');
    assert.deepEqual(description.actions, ['showLog']);
    assert.match(description.message, /boom/);
  });

  test('an unexpected error names what the user was doing (generation unless told)', () => {
    assert.equal(describeError(new Error('boom'), { action: 'Image generation' }).message, 'Image generation failed: boom');
    assert.equal(describeError(new Error('EACCES'), { action: 'Insert' }).message, 'Insert failed: EACCES');
    const known = new ImageApiError('network', 'Could not connect');
    assert.equal(describeError(known, { action: 'Insert' }).message, describeError(known, { action: 'Image generation' }).message);
  });

  test('Try Again (issue #11): offered for transient errors only where the surface can re-run the request', () => {
    const transient: [ImageErrorKind, number | undefined][] = [['rateLimited', 429], ['server', 503], ['network', undefined], ['timeout', undefined]];
    for (const [kind, status] of transient) {
      const error = new ImageApiError(kind, 'Failed.', { status, attempts: 3 });
      assert.equal(describeError(error, { action: 'Image generation', canTryAgain: true }).actions[0], 'tryAgain', kind);
      assert.ok(!describeError(error, { action: 'Image generation' }).actions.includes('tryAgain'), `${kind} without a way to re-run`);
    }
    for (const kind of ['auth', 'permission', 'quota', 'moderation', 'invalidRequest', 'notFound', 'validation', 'io', 'cancelled'] as const) {
      assert.ok(!describeError(new ImageApiError(kind, 'No.'), { action: 'Image generation', canTryAgain: true }).actions.includes('tryAgain'), kind);
    }
  });

  test('an error that may have been charged says so, whatever its kind, and leads with Try Again', () => {
    for (const kind of ['network', 'timeout', 'server', 'badResponse'] as const) {
      const error = new ImageApiError(kind, 'It broke; the images may already have been generated and charged.', { requestId: 'req_7', mayBeCharged: true });
      const description = describeError(error, { action: 'Image generation', canTryAgain: true });
      assert.equal(description.message, 'It broke; the images may already have been generated and charged. Try Again sends the same request once more (request id req_7).', kind);
      assert.equal(description.actions[0], 'tryAgain');
      assert.equal(describeError(error, { action: 'Image generation' }).message, 'It broke; the images may already have been generated and charged. Request id req_7.');
    }
  });

  test('a network error after the server answered does not blame the connection or the base URL', () => {
    const description = describeError(new ImageApiError('network', 'The server answered 502, then the connection was reset.', { status: 502 }), { action: 'Image generation' });
    assert.doesNotMatch(description.message, /base URL|connection and/);
    assert.ok(!description.actions.includes('openSettings'));
  });

  test('a disabled key (403 Token Group … Has Been Disabled) is explained, not blamed on the region', () => {
    const error = new ImageApiError('permission', 'Access was denied (403): Token Group vip Has Been Disabled.', { status: 403, keyDisabled: true });
    const description = describeError(error, { action: 'Image generation' });
    assert.match(description.message, /The key is disabled or its quota is used up: check the key and its quota in your WisGate dashboard, or set another key\.$/);
    assert.doesNotMatch(description.message, /region/);
    assert.deepEqual(description.actions, ['setApiKey', 'showLog']);
  });
});
