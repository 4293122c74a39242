import * as assert from 'node:assert/strict';
import { describeError } from '../../src/core/errorMessages';
import { errorCode, ImageApiError, redactError, withDetails, type ImageErrorKind } from '../../src/core/errors';

type ErrorsModule = typeof import('../../src/core/errors');

// Exhaustive at compile time: a new kind fails to type-check here until it is listed.
const kinds = Object.keys({
  validation: true,
  auth: true,
  permission: true,
  quota: true,
  rateLimited: true,
  moderation: true,
  invalidRequest: true,
  notFound: true,
  server: true,
  network: true,
  timeout: true,
  cancelled: true,
  badResponse: true,
  io: true,
} satisfies Record<ImageErrorKind, true>) as ImageErrorKind[];

/**
 * A second, independent copy of core/errors.js, as dist/extension.js and dist/engine.js each bundle
 * one: the compiled module is evicted from require's cache, loaded again, and the cache restored so
 * every other test keeps the copy it imported.
 */
function loadSecondCopy(): ErrorsModule {
  const file = require.resolve('../../src/core/errors');
  const original = require.cache[file];
  assert.ok(original, 'errors.js is already loaded through the imports above');
  delete require.cache[file];
  try {
    return require(file) as ErrorsModule;
  } finally {
    require.cache[file] = original;
  }
}

suite('ImageApiError across two copies of the module', () => {
  const copy = loadSecondCopy();

  test('the second copy is really another class', () => {
    assert.notEqual(copy.ImageApiError, ImageApiError);
    assert.notEqual(copy.ImageApiError.prototype, ImageApiError.prototype);
  });

  test('instanceof recognises an error from the other copy, both ways', () => {
    const foreign = new copy.ImageApiError('quota', 'Insufficient quota.', { status: 429, requestId: 'req_1' });
    assert.ok(foreign instanceof ImageApiError);
    assert.ok(foreign instanceof Error);
    assert.ok(new ImageApiError('io', 'Disk full.') instanceof copy.ImageApiError);
    assert.equal(foreign.kind, 'quota');
    assert.equal(foreign.requestId, 'req_1');
  });

  test('describeError maps the kind of an error from the other copy', () => {
    for (const kind of kinds) {
      const foreign = new copy.ImageApiError(kind, 'Something went wrong.', { status: 500, requestId: 'req_2' });
      assert.equal(describeError(foreign, { action: 'Image generation' }).kind, kind, kind);
    }
  });

  test('look-alikes without the brand are not ImageApiErrors', () => {
    const lookAlikes: unknown[] = [
      Object.assign(new Error('Bad key.'), { kind: 'auth', name: 'ImageApiError' }),
      { kind: 'auth', message: 'Bad key.', name: 'ImageApiError' },
      Object.create(ImageApiError.prototype) as unknown,
      { ...new copy.ImageApiError('auth', 'Bad key.') },
      { [Symbol('gpt-image-studio.ImageApiError')]: true, kind: 'auth', message: 'Bad key.' },
      null,
      undefined,
      'auth',
    ];
    for (const value of lookAlikes) {
      assert.equal(value instanceof ImageApiError, false, String(value));
      assert.equal(value instanceof copy.ImageApiError, false, String(value));
      assert.equal(describeError(value, { action: 'Image generation' }).kind, 'unexpected');
    }
  });
});

suite('errorCode', () => {
  test('the string code of an error, else of its cause', () => {
    assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
    assert.equal(errorCode(new Error('fetch failed', { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) })), 'ECONNRESET');
    assert.equal(errorCode(Object.assign(new Error('x', { cause: { code: 'EPIPE' } }), { code: 'UND_ERR_SOCKET' })), 'UND_ERR_SOCKET');
    assert.equal(errorCode(Object.assign(new Error('x', { cause: { code: 'EPIPE' } }), { code: 7 })), 'EPIPE');
  });

  test('nothing for errors without a string code, primitives and lists', () => {
    for (const value of [new Error('x'), { code: 42 }, { cause: 'ENOENT' }, 'ENOENT', null, undefined, Object.assign([], { code: 'E' })]) {
      assert.equal(errorCode(value), undefined, String(value));
    }
  });
});

suite('redactError and withDetails', () => {
  const secret = 'sk-errors-SECRET-0123456789';
  const hide = (text: string): string => text.split(secret).join('***');

  test('every text a server can fill is redacted: message, request id, code, param, excerpt', () => {
    const cause = new Error('socket');
    const error = new ImageApiError('invalidRequest', `Bad key ${secret}.`, {
      status: 400,
      requestId: `req_${secret}`,
      code: secret,
      param: `key=${secret}`,
      excerpt: `"${secret}"`,
      attempts: 2,
      cause,
    });
    const clean = redactError(error, hide);
    assert.notEqual(clean, error);
    assert.ok(clean instanceof ImageApiError);
    assert.deepEqual(
      [clean.kind, clean.message, clean.requestId, clean.code, clean.param, clean.excerpt, clean.status, clean.attempts, clean.cause],
      ['invalidRequest', 'Bad key ***.', 'req_***', '***', 'key=***', '"***"', 400, 2, cause],
    );
    assert.ok(!(clean.stack ?? '').includes(secret), 'the new stack starts from the clean message');
  });

  test('an error with nothing to hide is returned as is', () => {
    const error = new ImageApiError('server', 'Down.', { status: 503, code: 'overloaded' });
    assert.equal(redactError(error, hide), error);
  });

  test('withDetails replaces only what it is given', () => {
    const error = new ImageApiError('timeout', 'Slow.', { requestId: 'req_1', attempts: 1 });
    const later = withDetails(error, { attempts: 3 });
    assert.deepEqual([later.kind, later.message, later.requestId, later.attempts], ['timeout', 'Slow.', 'req_1', 3]);
    assert.equal(withDetails(error, { message: 'Slower.' }).message, 'Slower.');
  });
});
