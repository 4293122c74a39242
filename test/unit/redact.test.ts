import * as assert from 'node:assert/strict';
import { redact, redactorFor, SecretRedactor } from '../../src/core/api/redact';

const key = 'sk-test-SECRET-0123456789abcdef+/=x';

/**
 * No run of 8 of the key's characters survives: not in the text, not percent-decoded, and not in what
 * any run of base64 or base64url characters in it decodes to, read from each of its first 4 characters.
 */
function assertNoKey(text: string, what: string): void {
  const readings = [text, safeDecodeUri(text)];
  for (const run of text.match(/[A-Za-z0-9+/_-]{8,}/g) ?? []) {
    for (let skip = 0; skip < 4; skip++) {
      readings.push(Buffer.from(run.slice(skip), 'base64').toString('latin1'), Buffer.from(run.slice(skip), 'base64url').toString('latin1'));
    }
  }
  for (let i = 0; i + 8 <= key.length; i++) {
    for (const reading of readings) assert.ok(!reading.includes(key.slice(i, i + 8)), `${what}: "${key.slice(i, i + 8)}" survives in ${text}`);
  }
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

suite('redact: the key in every form a server can echo', () => {
  const redactor = new SecretRedactor(key);

  test('raw, several times, and nothing else changes', () => {
    assert.equal(redactor.redact(`key ${key} and ${key}.`), 'key *** and ***.');
    assert.equal(redactor.redact('nothing to hide'), 'nothing to hide');
    assert.equal(redact(`a ${key}`, key), 'a ***');
  });

  test('percent-encoded: fully, partly, upper- and lower-case hex', () => {
    const full = [...Buffer.from(key)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    for (const form of [encodeURIComponent(key), encodeURIComponent(key).toLowerCase().replace(/sk-test-secret/, 'sk-test-SECRET'), full, full.toLowerCase()]) {
      const text = redactor.redact(`https://relay.example/?key=${form}&x=1`);
      assert.equal(text, 'https://relay.example/?key=***&x=1', form);
    }
  });

  test('base64 and base64url at every alignment, inside longer encodings too', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'user:', '{"key":"']) {
      for (const encoding of ['base64', 'base64url'] as const) {
        const encoded = Buffer.from(`${prefix}${key}","more":"stuff"}`).toString(encoding);
        const text = redactor.redact(`Authorization echoed: ${encoded}`);
        assert.match(text, /\*\*\*/, `${encoding} after "${prefix}"`);
        assertNoKey(text, `${encoding} after "${prefix}"`);
      }
    }
    assertNoKey(redactor.redact(`Basic ${Buffer.from(`user:${key}`).toString('base64')}`), 'Basic auth');
  });

  test('one-character re-encodings: HTML entities, JSON \\u escapes, any letter case (issue #9, F7)', () => {
    const entity = (char: string): string => `&#${char.codePointAt(0)};`;
    const forms = [
      `&#115;${key.slice(1)}`,
      `&#x73;${key.slice(1)}`,
      `&#X0073${key.slice(1)}`,
      [...key].map(entity).join(''),
      `\\u0073${key.slice(1)}`,
      [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`).join(''),
      `${key.slice(0, 7)}\\u002d${key.slice(8)}`,
      key.toUpperCase(),
      key.toLowerCase(),
      key.replace('+', '&plus;').replace('/', '&sol;').replace('=', '&equals;'),
    ];
    for (const form of forms) assert.equal(redactor.redact(`Invalid key ${form} here`), 'Invalid key *** here', form);
  });

  test('MIME-wrapped base64 (line breaks inside the run)', () => {
    for (const prefix of ['', 'a', 'ab']) {
      const encoded = Buffer.from(`${prefix}${key} and more text after it`).toString('base64');
      const wrapped = encoded.replace(/(.{10})/g, '$1\r\n');
      const text = redactor.redact(`dump:\r\n${wrapped}`);
      assert.match(text, /\*\*\*/, prefix);
      assertNoKey(text.replace(/\s+/g, ''), `wrapped after "${prefix}"`);
    }
  });

  test('a run holding 12 consecutive characters of the key is redacted whole, whatever else it holds', () => {
    assert.equal(redactor.redact(`token XX${key.slice(5, 17)}YY-zz end`), 'token *** end');
    assert.equal(redactor.redact(`a &#115;k${key.slice(2)} b`), 'a *** b');
    assert.equal(redactor.redact(`${key.slice(0, 11)} is not enough`), `${key.slice(0, 11)} is not enough`);
    assert.equal(redactor.redact(`x:${key.slice(-12).toUpperCase()};`), 'x:***;', "the key's own characters (= here) extend a run, others end it");
    // Keys shorter than the window: only their full forms count.
    assert.equal(new SecretRedactor('sk-short').redact('SK-SHORT sk-shor'), '*** sk-shor');
  });

  test('head: a 12-character piece of the key straddling the cut is removed', () => {
    const limit = 100;
    for (let start = limit - 14; start <= limit + 1; start++) {
      const text = `${'x '.repeat(start / 2)}${' '.repeat(start % 2)}Q${key.slice(3, 20)}Q tail`;
      const head = redactor.head(text, limit);
      assert.ok(!head.includes(key.slice(3, 10)), `piece at ${start}: ${head.slice(-30)}`);
    }
  });

  test('stays fast on a 64 KB body of one base64 run', () => {
    const body = Buffer.alloc(48 * 1024, 7).toString('base64');
    const started = Date.now();
    for (let i = 0; i < 5; i++) redactor.redact(body);
    redactor.head(body, 8192);
    assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
  });

  test('short or empty secrets redact nothing', () => {
    assert.equal(new SecretRedactor('').redact('abc'), 'abc');
    assert.equal(new SecretRedactor(undefined).redact('abc'), 'abc');
    assert.equal(new SecretRedactor('abc').redact('abc abc'), 'abc abc');
    assert.equal(new SecretRedactor('abcd').redact('abcd'), '***');
  });

  test('head: a key straddling the cut is removed whole, raw and encoded', () => {
    const limit = 8192;
    for (const form of [key, encodeURIComponent(key), Buffer.from(key).toString('base64')]) {
      for (let start = limit - form.length - 2; start <= limit + 2; start++) {
        const text = `${'x'.repeat(start)}${form}${'y'.repeat(50)}`;
        const head = redactor.head(text, limit);
        assertNoKey(head, `key at ${start}`);
        assert.ok(head.length <= limit + form.length, 'stops right after the straddling key');
      }
    }
    // The 33-of-35 leak of issue #9: the old cut at 8192 + key length kept the key's first 33 characters.
    const old = `${'\n'.repeat(8194)}${key}`;
    assertNoKey(redactor.head(old, 8192), 'the issue #9 case');
  });

  test('head: base64 of the key wrapped with wide whitespace, straddling the cut, is removed whole (review)', () => {
    const wrapped = [...Buffer.from(key).toString('base64')].join(' '.repeat(10));
    for (const before of [8192 - 470, 8192 - 200, 8192 - 5]) {
      const head = redactor.head(`${'\n'.repeat(before)}${wrapped}\n`, 8192);
      assertNoKey(head.replace(/\s+/g, ''), `wrapped base64 at ${before}`);
    }
  });

  test('keys far longer than any real one (600 to 100,000 characters) never throw and are still redacted, raw and base64', () => {
    for (const length of [600, 10_000, 30_000, 100_000]) {
      const long = `sk-${'Ab1+'.repeat(Math.ceil(length / 4))}`.slice(0, length);
      const redactor = new SecretRedactor(long);
      // %, & and \ in the text: V8 reported a too-large pattern only when it first ran (review).
      assert.equal(redactor.redact(`a% ${long} b& ${long.toUpperCase()} c\\`), 'a% *** b& *** c\\', `${length}`);
      const b64 = Buffer.from(long).toString('base64');
      assert.equal(redactor.redact(`x${b64}`).includes(b64.slice(8, 40)), false);
      assert.equal(redactor.head(`${'x'.repeat(100)}${long}tail`, 120), `${'x'.repeat(100)}***`);
      assert.equal(redactor.head(`${'x'.repeat(200)}${long}`, 120), 'x'.repeat(120));
      assert.equal(redactor.redact('İstanbul sk-AB1+ab1+'), 'İstanbul sk-AB1+ab1+');
    }
  });

  test('the quick test (no %, & or \\ in the text) settles only texts no pattern matches', () => {
    const b64 = Buffer.from(`x${key}`).toString('base64');
    const hits = [
      `id ${key} end`,
      `ID ${key.toUpperCase()}`,
      `token=abc${key.slice(5, 19)}def`,
      `wrapped ${b64.slice(0, 20)}\n ${b64.slice(20)}`,
      `url-safe ${Buffer.from(key).toString('base64url')}`,
      `spaced\u00a0${[...b64].join('\u00a0')}`,
    ];
    for (const text of hits) assertNoKey(redactor.redact(text).replace(/\s+/g, ''), text);
    const misses = ['req_000119dc1ddf155c', 'POST https://api.wisgate.ai/v1/images/generations → 200 in 42 ms', key.slice(0, 11), 'İK'];
    for (const text of misses) assert.equal(redactor.redact(text), text);
    // A key with a % in it: the text holding it takes the full patterns.
    const percent = new SecretRedactor('sk-50%off-0123456789');
    assert.equal(percent.redact('a sk-50%off-0123456789 b SK-50%25OFF-0123456789'), 'a *** b ***');
  });

  test('head: short texts are only redacted', () => {
    assert.equal(redactor.head(`a ${key} b`, 100), 'a *** b');
    assert.equal(redactor.head('x'.repeat(10), 4), 'xxxx');
    assert.equal(new SecretRedactor(undefined).head('abcdef', 3), 'abc');
  });
});

suite('redactorFor: one redactor per key, reused', () => {
  test('the same key gets the same redactor; it still redacts after other texts and a head()', () => {
    const first = redactorFor(key);
    assert.equal(redactorFor(key), first);
    assert.equal(first.head(`${'x'.repeat(50)}${key}`, 52), `${'x'.repeat(50)}***`);
    assert.equal(redactorFor(key).redact(`again ${key}`), 'again ***');
    assert.equal(redactorFor(key).redact(`run ${key.slice(3, 20)}tail`), 'run ***');
  });

  test('other keys get their own; the least recently used of more than four is made anew', () => {
    const keys = ['sk-aaaa-0000000000001', 'sk-bbbb-0000000000002', 'sk-cccc-0000000000003', 'sk-dddd-0000000000004'];
    const made = keys.map((k) => redactorFor(k));
    assert.equal(new Set(made).size, 4);
    assert.deepEqual(keys.map((k) => redactorFor(k)), made, 'four are kept');
    redactorFor(keys[0]); // most recently used now: keys[1] is the least
    redactorFor('sk-eeee-0000000000005');
    assert.equal(redactorFor(keys[0]), made[0]);
    const remade = redactorFor(keys[1]);
    assert.notEqual(remade, made[1], 'the least recently used was dropped');
    assert.equal(remade.redact(keys[1]), '***');
  });

  test('no key: nothing is kept and nothing is redacted', () => {
    assert.equal(redactorFor(undefined).redact('abc'), 'abc');
    assert.equal(redactorFor('').redact('abc'), 'abc');
  });
});
