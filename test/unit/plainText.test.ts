import * as assert from 'node:assert/strict';
import { plainText, quoteValue } from '../../src/shared/plainText';
import { assertNoIcon, assertNoLink, hostileTexts, linkPattern, linksIn, vscodeIconRegex } from './linkPattern';

/** What a reader sees: zero-width spaces are invisible. */
function visible(text: string): string {
  return text.replace(/\u200b/g, '');
}

suite('plainText', () => {
  test('every hostile text is a link as it stands (the cases are real)', () => {
    for (const text of hostileTexts) assert.ok(linksIn(text).length > 0, `a link in ${JSON.stringify(text)}`);
  });

  test('no hostile text is a link once plain, and it still reads the same', () => {
    for (const text of hostileTexts) {
      const plain = plainText(text);
      assertNoLink(plain, 'plainText');
      assert.ok(plain.includes(']\u200b('), `the bracket pair is split in ${JSON.stringify(plain)}`);
    }
    assert.equal(
      visible(plainText('Your key must be re-verified. [Verify key](command:workbench.action.terminal.sendSequence?%7B%7D)')),
      'Your key must be re-verified. [Verify key](command:workbench.action.terminal.sendSequence?%7B%7D)',
    );
  });

  test('line breaks, tabs and other control characters become one space', () => {
    assert.equal(plainText('one\ntwo\r\nthree\tfour\u0000five\u0085six\u2028seven\u2029eight'), 'one two three four five six seven eight');
    assert.equal(plainText('a\n\n\t b'), 'a  b');
    assert.equal(plainText('[label]\n(command:x)'), '[label] (command:x)');
    assertNoLink(plainText('[label]\r(command:x)'), 'a break between the brackets');
  });

  test('invisible and reordering characters are dropped; joiners stay', () => {
    assert.equal(plainText('a\u202eb\u2066c\u200fd\ufeffe\u00adf\u2060g'), 'abcdefg');
    assert.equal(plainText('👩\u200d💻 and \u200cZWNJ'), '👩\u200d💻 and \u200cZWNJ');
  });

  test('a zero-width space the sender put there is no way around it', () => {
    const sneaky = plainText('[x]\u200b(command:x)');
    assert.equal(sneaky, '[x]\u200b(command:x)');
    assertNoLink(sneaky, 'pre-split');
    // Stripped invisibles cannot join a bracket pair either.
    assertNoLink(plainText('[x]\u202e(command:x)'), 'bidi between');
    assertNoLink(plainText('[x]\u2060(command:x)'), 'word joiner between');
  });

  test('Markdown autolinks are broken too', () => {
    assert.equal(plainText('<command:workbench.action.openSettings>'), '<\u200bcommand:workbench.action.openSettings>');
    assert.equal(plainText('<HTTPS://evil.example>'), '<\u200bHTTPS://evil.example>');
    assert.equal(plainText('1 < 2 and a <b> tag'), '1 < 2 and a <b> tag');
  });

  test('product icons are broken too: no $(key) from a setting or a server shows as an icon (review of #9, F1)', () => {
    const phishing = '$(key) Your WisGate key expired. Paste it in the box below';
    assert.match(phishing, vscodeIconRegex, 'the case is real');
    const plain = plainText(phishing);
    assertNoIcon(plain, 'plainText');
    assert.equal(plain, '$\u200b(key) Your WisGate key expired. Paste it in the box below');
    assert.equal(visible(plain), phishing, 'it still reads as it was sent');
    for (const text of ['$(sync~spin)', '\\$(key)', '$$(key)', '$(KEY-2)', 'a$(b)c$(d)', '$\u200b(key)', '$\u202e(key)', '$\n(key)']) {
      assertNoIcon(plainText(text), `icon in ${JSON.stringify(text)}`);
      assert.equal(plainText(plainText(text)), plainText(text), `idempotent on ${JSON.stringify(text)}`);
    }
    assertNoIcon(quoteValue('$(key) Your WisGate key expired', 10), 'quoteValue');
    assert.equal(plainText('costs $5 (about)'), 'costs $5 (about)', 'a dollar sign alone is left as it is');
  });

  test('ordinary messages are unchanged', () => {
    for (const text of [
      'GPT Image: API key saved in secret storage.',
      'Saved 2 images to assets/',
      'The API rejected the request (field "size"): Invalid value: \'9x9\'. Supported values are: \'auto\' (request id req_1).',
      'Rate limited (429) even after 3 attempts. Wait a minute and try again.',
      'A list [1, 2] and a call f(x) and ] ( apart',
      'https://api.wisgate.ai/v1',
    ]) {
      assert.equal(plainText(text), text);
    }
  });

  test('applying it twice changes nothing more', () => {
    for (const text of [...hostileTexts, '<command:x>', 'a\u200b\u200b](b', '](([', '$($(', ']$(', '$](', '<$(command:x']) {
      assert.equal(plainText(plainText(text)), plainText(text));
    }
  });

  test('random mixes of link syntax never come out as a link, also cut at 1000 characters', () => {
    const pieces = ['[', ']', '(', ')', '](', 'command:', 'COMMAND:', 'https://', 'file:', 'x', ' ', '\n', '\r', '"', '<', '>', '\u200b', '\u202e', '\t'];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 3000; round++) {
      const length = 1 + Math.floor(random() * 30);
      let text = '';
      for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
      assertNoLink(plainText(text), `random mix ${round}`);
    }
    // A link straddling VS Code's 1000-character cut.
    for (let pad = 980; pad < 1000; pad++) {
      assertNoLink(plainText(`${'a'.repeat(pad)}[x](command:y)`), `cut at ${pad}`);
    }
  });

  test('fuzz: no link or icon survives, and a second pass changes nothing (review of #9)', () => {
    const alphabet = ['[', ']', '(', ')', '$', '$(', 'key', 'sync~spin', 'command:', 'https://', 'file:', 'x', ' ', '"', "'",
      '\\', '\u200b', '\u200e', '\u202e', '\ufeff', '\u00ad', '\n', '\r', '\t', '\u2028', '<', '\u0000', '\u034f',
      '\u180e', '\u2061', '\ufe0f'];
    let seed = 9;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 50000; round++) {
      let text = '';
      const length = 1 + random(16);
      for (let i = 0; i < length; i++) text += alphabet[random(alphabet.length)];
      const plain = plainText(text);
      assertNoLink(plain, `fuzz ${round}`);
      assertNoIcon(plain, `fuzz ${round}`);
      assert.equal(plainText(plain), plain, `idempotent on ${JSON.stringify(text)}`);
      const quoted = quoteValue(text, random(10) + 1);
      assertNoLink(quoted, `quoted fuzz ${round}`);
      assertNoIcon(quoted, `quoted fuzz ${round}`);
    }
  });

  test('the issue pattern is case-insensitive like VS Code', () => {
    assert.match('[x](COMMAND:y)', linkPattern);
  });
});

suite('quoteValue', () => {
  test('strings are quoted, shortened to 40 characters and plain', () => {
    assert.equal(quoteValue('high'), '"high"');
    assert.equal(quoteValue('x'.repeat(50)), `"${'x'.repeat(40)}…"`);
    assert.equal(quoteValue('😀'.repeat(41)), `"${'😀'.repeat(40)}…"`, 'counts characters, not UTF-16 units');
    assertNoLink(quoteValue('[Fix this setting](command:gptImage.generate?%7B%7D)'), 'quoted setting');
  });

  test('anything else as JSON, never throwing', () => {
    assert.equal(quoteValue(3), '3');
    assert.equal(quoteValue(true), 'true');
    assert.equal(quoteValue(null), 'null');
    assert.equal(quoteValue(undefined), 'undefined');
    assert.equal(quoteValue({ a: 1 }), '{"a":1}');
    assert.equal(quoteValue(10n), 'bigint');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(quoteValue(circular), 'object');
    assertNoLink(quoteValue({ label: '[x](command:y)' }), 'an object holding a link');
    assertNoLink(quoteValue(['[x](command:y)']), 'a list holding a link');
  });

  test('re-review F5: Unicode tag characters (a hidden sentence) are removed, not passed through', () => {
    const hidden = [...'evil'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    assert.equal(plainText(`a robot${hidden}`), 'a robot');
  });
});
