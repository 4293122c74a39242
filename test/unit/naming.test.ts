import * as assert from 'node:assert/strict';
import { ImageApiError } from '../../src/core/errors';
import {
  extensionFor,
  fitName,
  imageFileNames,
  maxNameBytes,
  maxSlugBytes,
  maxSlugLength,
  nextCandidate,
  numberedNames,
  slugify,
  timestamp,
} from '../../src/core/naming';

suite('slugify', () => {
  const cases: [string, string][] = [
    ['A red fox in the snow', 'a-red-fox-in-the-snow'],
    ['  Hello,   World!!  ', 'hello-world'],
    ['Café crème brûlée', 'cafe-creme-brulee'],
    ['Straße Ærø Łódź', 'strasse-aero-lodz'],
    ['ﬁne ① ²', 'fine-1-2'], // NFKD compatibility folding
    ['日本の猫', '日本の猫'],
    ['🦊🦊', 'image'],
    ['', 'image'],
    ['   ', 'image'],
    ['---', 'image'],
    ['..', 'image'],
    ['../../etc/passwd', 'etc-passwd'],
    ['C:\\Windows\\System32', 'c-windows-system32'],
    ['a/b\\c', 'a-b-c'],
    ['foo.png', 'foo-png'],
    ['x -- y', 'x-y'],
    ['Tab\tand\nnewline', 'tab-and-newline'],
    ['CON', 'con-image'],
    ['prn', 'prn-image'],
    ['Aux', 'aux-image'],
    ['nul', 'nul-image'],
    ['COM1', 'com1-image'],
    ['lpt9', 'lpt9-image'],
    ['com¹', 'com1-image'],
    ['console', 'console'],
    ['con air', 'con-air'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(slugify(input), expected));
  }

  test('long prompts are cut at a word boundary', () => {
    const slug = slugify('A watercolor painting of a lighthouse on a cliff at sunset with seagulls and waves');
    assert.equal(slug, 'a-watercolor-painting-of-a-lighthouse-on-a-cliff');
    assert.ok(slug.length <= maxSlugLength);
  });

  test('a cut exactly at the limit keeps the whole word', () => {
    const word = 'abcdefghij';
    const prompt = `${word} ${word} ${word} ${word} abcd tail`; // 4 × 11 + 4 = 48, then a dash
    assert.equal(slugify(prompt), `${word}-${word}-${word}-${word}-abcd`);
  });

  test('one very long word is cut hard', () => {
    const slug = slugify('x'.repeat(200));
    assert.equal(slug, 'x'.repeat(maxSlugLength));
  });

  test('never ends with a dash after cutting', () => {
    const slug = slugify('word '.repeat(30));
    assert.ok(slug.length <= maxSlugLength);
    assert.doesNotMatch(slug, /^-|-$|--/);
  });

  test('always matches the safe alphabet', () => {
    const samples = ['Ünïcödé ∑ stuff', '$(rm -rf /)', '<script>', 'a'.repeat(49) + ' b', '\u0000\u001f'];
    for (const s of samples) {
      assert.match(slugify(s), /^[a-z0-9]+(-[a-z0-9]+)*$/, s);
      assert.ok(slugify(s).length <= maxSlugLength);
    }
    assert.equal(slugify('İstanbul'), 'istanbul');
  });
});

suite('slugify: other scripts keep their letters', () => {
  const cases: [string, string][] = [
    ['夕焼けの富士山と桜', '夕焼けの富士山と桜'],
    ['日本の猫、こたつで寝る。', '日本の猫-こたつで寝る'],
    ['ｶﾀｶﾅ ＴＥＳＴ', 'カタカナ-test'], // half- and full-width forms folded (NFKC)
    ['Рыжая лиса в снегу', 'рыжая-лиса-в-снегу'],
    ['Йошкар-Ола, ёлка', 'йошкар-ола-ёлка'], // й and ё keep their marks: not и, е
    ['Καλημέρα κόσμε', 'καλημέρα-κόσμε'],
    ['ΟΔΟΣ', 'οδος'],
    ['قطة سوداء على السطح', 'قطة-سوداء-على-السطح'],
    ['חתול שחור', 'חתול-שחור'],
    ['हिन्दी में बिल्ली', 'हिन्दी-में-बिल्ली'],
    ['한국어 고양이', '한국어-고양이'],
    ['می‌خواهم گربه', 'میخواهم-گربه'], // the ZWNJ inside the word is dropped, not a dash
    ['Кот and café', 'кот-and-cafe'],
    ['٣ قطط', '٣-قطط'],
    ['🦊🌲🦊', 'image'],
    ['1️⃣ 🦊', '1'],
    ['✨ 🎨 ✨', 'image'],
    ['猫\u202e gnp.exe', '猫-gnp-exe'], // a bidi override is no letter
    ['\u200b\u2060猫\ufeff', '猫'],
    ['\u0301\u0308лиса', 'лиса'], // marks with no letter before them
    ['кот...', 'кот'],
    ['кот。', 'кот'],
    ['ＣＯＮ', 'con-image'],
    ['ｃｏｍ１', 'com1-image'],
    ['Nul…', 'nul-image'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(slugify(input), expected));
  }

  test('the result is NFC whatever form the prompt came in', () => {
    for (const word of ['Йод ёж', 'Καλημέρα', '한국어', 'がぎぐ', 'हिन्दी']) {
      const expected = slugify(word.normalize('NFC'));
      assert.equal(slugify(word.normalize('NFD')), expected, word);
      assert.equal(expected, expected.normalize('NFC'), word);
    }
    assert.equal(slugify('й'.normalize('NFD')), '\u0439');
  });

  test('only letters, marks, digits and single dashes; never a dot, space or edge dash', () => {
    const samples = ['夕焼け. 富士山 / 桜?', 'Рыжая: лиса*', 'a<b>c|d"e', '猫\t\n犬', ' --猫-- ', '\u0000猫\u001f'];
    for (const s of samples) {
      assert.match(slugify(s), /^[\p{L}\p{M}\p{N}]+(-[\p{L}\p{M}\p{N}]+)*$/u, s);
    }
  });

  test('long CJK prompts stop at the byte limit, on a whole character', () => {
    const slug = slugify('猫'.repeat(200));
    assert.equal(slug, '猫'.repeat(33));
    assert.ok(Buffer.byteLength(slug) <= maxSlugBytes);
  });

  test('long Cyrillic prompts stop at 48 characters, at a word boundary', () => {
    const slug = slugify('Рыжая лиса бежит по снегу мимо старой мельницы и замёрзшего пруда');
    assert.equal(slug, 'рыжая-лиса-бежит-по-снегу-мимо-старой-мельницы-и');
    assert.equal([...slug].length, maxSlugLength);
  });

  test('long Korean prompts stop at the byte limit, at a word boundary', () => {
    const slug = slugify('고양이가 따뜻한 햇살 아래에서 낮잠을 자고 있어요 정말 귀엽네요 그렇죠 친구');
    assert.equal(slug, '고양이가-따뜻한-햇살-아래에서-낮잠을-자고-있어요-정말-귀엽네요-그렇죠');
    assert.ok(Buffer.byteLength(slug) <= maxSlugBytes);
  });

  test('a letter is never cut off from its marks', () => {
    // हि is two code points: a cut between them would leave a different letter.
    const slug = slugify('क' + 'हि'.repeat(60));
    assert.ok(Buffer.byteLength(slug) <= maxSlugBytes);
    assert.match(slug, /ि$/);
  });

  test('supplementary-plane letters count 4 bytes each', () => {
    const slug = slugify('𠀋'.repeat(40));
    assert.equal(slug, '𠀋'.repeat(25));
  });

  test('invisible letters are dropped: Hangul fillers give no invisible name (review of #9, F2)', () => {
    const fillers = /[\u115f\u1160\u3164\uffa0]/u;
    for (const [prompt, expected] of [
      ['\u3164', 'image'],
      ['\uffa0', 'image'],
      ['\u115f\u1160', 'image'],
      ['\u3164\u3164 \uffa0', 'image'],
      ['cat \u3164\u3164 dog', 'cat-dog'],
      ['кот\u3164пёс', 'котпёс'],
      ['한\u3164국', '한국'],
      ['ca\u00adt', 'cat'], // a soft hyphen is invisible too: no dash
    ] as const) {
      const slug = slugify(prompt);
      assert.ok(!fillers.test(slug), `${JSON.stringify(prompt)} -> ${JSON.stringify(slug)}`);
      assert.equal(slug, expected, JSON.stringify(prompt));
    }
    // Every default-ignorable code point, alone: nothing invisible is ever a slug.
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const ch = String.fromCodePoint(cp);
      if (!/\p{Default_Ignorable_Code_Point}/u.test(ch)) continue;
      assert.equal(slugify(ch), 'image', `U+${cp.toString(16)}`);
      assert.equal(slugify(`кот${ch}`), 'кот', `U+${cp.toString(16)} after a Cyrillic letter`);
    }
  });

  test('invisible marks are dropped after any letter: CGJ, Mongolian and Khmer signs (review of #9, F3)', () => {
    for (const [prompt, expected] of [
      ['кот\u034fкот', 'коткот'],
      ['кот\u034f\u034f\u034f', 'кот'],
      ['ᠮ\u180bᠣ', 'ᠮᠣ'],
      ['ᠮ\u180c\u180d\u180fᠣ', 'ᠮᠣ'],
      ['ក\u17b4ខ', 'កខ'],
      ['ក\u17b5', 'ក'],
    ] as const) {
      const slug = slugify(prompt);
      assert.ok(!/[\u034f\u180b-\u180f\u17b4\u17b5]/u.test(slug), `${JSON.stringify(prompt)} -> ${JSON.stringify(slug)}`);
      assert.equal(slug, expected, JSON.stringify(prompt));
    }
    // Visible marks stay: й, हि, Khmer vowel signs.
    assert.equal(slugify('ключ'), 'ключ');
    assert.equal(slugify('हिन्दी'), 'हिन्दी');
    assert.equal(slugify('ខ្មែរ'), 'ខ្មែរ');
  });

  test('overlay marks that look like a path are dropped: a slash through a letter is no separator (review of #9, F3)', () => {
    const overlays = [0x334, 0x335, 0x336, 0x337, 0x338];
    for (let cp = 0x20d0; cp <= 0x20ff; cp++) overlays.push(cp);
    for (const cp of overlays) {
      const ch = String.fromCodePoint(cp);
      assert.equal(slugify(`кот${ch} пёс`), 'кот-пёс', `U+${cp.toString(16)}`);
      assert.equal(slugify(`猫${ch}${ch}犬`), '猫犬', `U+${cp.toString(16)} twice`);
    }
    assert.equal(slugify('кот\u0338 пёс'), 'кот-пёс');
    assert.ok(!/[\u0334-\u0338\u20d0-\u20ff]/u.test(slugify('a\u20e5b ж\u20e5з ж\u0337з')));
  });

  test('held: separators, dots, bidi and long prompts (review of #9)', () => {
    const slug = slugify('a\u2215b\uff0fc\uff0ed\u202ee\u2066f\u200bg' + 'ж'.repeat(300));
    assert.ok(!/[\/\\.\u202e\u2066\u200b]/.test(slug), slug);
    assert.ok(Buffer.byteLength(imageFileNames('ж'.repeat(300), 10, 'webp', new Date())[9]) < 140);
  });

  test('every name from any prompt stays far below 255 bytes', () => {
    const now = new Date(2024, 4, 6, 7, 8, 9);
    const prompts = ['猫'.repeat(500), '𠀋'.repeat(500), 'ё'.repeat(500), 'x'.repeat(500), 'हि'.repeat(500)];
    for (const prompt of prompts) {
      for (const name of imageFileNames(prompt, 10, 'webp', now)) {
        assert.ok(Buffer.byteLength(nextCandidate(name, 999)) < 143, `${name}: ${Buffer.byteLength(name)} bytes`);
      }
    }
  });
});

suite('timestamp', () => {
  test('formats local time as yyyymmdd-hhmmss', () => {
    assert.equal(timestamp(new Date(2024, 0, 2, 3, 4, 5)), '20240102-030405');
    assert.equal(timestamp(new Date(2025, 11, 31, 23, 59, 59)), '20251231-235959');
  });
});

suite('extensionFor', () => {
  test('jpeg becomes jpg, others keep their name', () => {
    assert.equal(extensionFor('png'), 'png');
    assert.equal(extensionFor('jpeg'), 'jpg');
    assert.equal(extensionFor('webp'), 'webp');
  });
});

suite('imageFileNames', () => {
  const now = new Date(2024, 4, 6, 7, 8, 9);

  test('one image has no index', () => {
    assert.deepEqual(imageFileNames('A red fox', 1, 'png', now), ['a-red-fox-20240506-070809.png']);
  });

  test('several images get -1, -2…', () => {
    assert.deepEqual(imageFileNames('Café', 3, 'jpg', now), [
      'cafe-20240506-070809-1.jpg',
      'cafe-20240506-070809-2.jpg',
      'cafe-20240506-070809-3.jpg',
    ]);
  });

  test('a leading dot and upper case in the extension are tolerated', () => {
    assert.deepEqual(imageFileNames('', 1, '.WEBP', now), ['image-20240506-070809.webp']);
  });

  test('reserved names stay safe with the stamp', () => {
    assert.deepEqual(imageFileNames('con', 1, 'png', now), ['con-image-20240506-070809.png']);
  });

  test('bad counts and extensions are validation errors', () => {
    for (const count of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => imageFileNames('x', count, 'png', now),
        (e: unknown) => e instanceof ImageApiError && e.kind === 'validation',
      );
    }
    for (const ext of ['', 'p/ng', '..', 'png ']) {
      assert.throws(
        () => imageFileNames('x', 1, ext, now),
        (e: unknown) => e instanceof ImageApiError && e.kind === 'validation',
      );
    }
  });
});

suite('numberedNames', () => {
  test('one name keeps the base; several get -1, -2…', () => {
    assert.deepEqual(numberedNames('hero', 1, 'png'), ['hero.png']);
    assert.deepEqual(numberedNames('hero', 3, 'webp'), ['hero-1.webp', 'hero-2.webp', 'hero-3.webp']);
  });
});

suite('nextCandidate', () => {
  test('inserts the index before the extension', () => {
    assert.equal(nextCandidate('image.png', 0), 'image.png');
    assert.equal(nextCandidate('image.png', 1), 'image-1.png');
    assert.equal(nextCandidate('image.png', 12), 'image-12.png');
    assert.equal(nextCandidate('a.b.jpg', 2), 'a.b-2.jpg');
    assert.equal(nextCandidate('noext', 3), 'noext-3');
    assert.equal(nextCandidate('.hidden', 1), '.hidden-1');
    assert.equal(nextCandidate('my pic é.png', 1), 'my pic é-1.png');
  });

  test('a long name loses characters at the end of its base to stay within 255 bytes (review of #9, F5)', () => {
    assert.equal(maxNameBytes, 255);
    const name = `${'h'.repeat(251)}.png`;
    assert.equal(nextCandidate(name, 1), `${'h'.repeat(249)}-1.png`);
    assert.equal(nextCandidate(name, 10), `${'h'.repeat(248)}-10.png`);
    assert.equal(nextCandidate(name, 999), `${'h'.repeat(247)}-999.png`);
    assert.equal(nextCandidate('n'.repeat(255), 1), `${'n'.repeat(253)}-1`, 'no extension');
    assert.equal(nextCandidate(`${'n'.repeat(249)}-1.png`, 1), `${'n'.repeat(249)}-1.png`, 'may equal a taken name: tried on');
    const names = new Set<string>();
    for (let i = 1; i < 1000; i++) {
      const candidate = nextCandidate(name, i);
      assert.ok(Buffer.byteLength(candidate) <= maxNameBytes, candidate);
      assert.ok(candidate.endsWith(`-${i}.png`));
      names.add(candidate);
    }
    assert.equal(names.size, 999, 'all different');
    // Short names are as before.
    assert.equal(nextCandidate('image.png', 1), 'image-1.png');
  });

  test('the cut never splits a letter from its marks, an emoji or a surrogate pair (review of #9, F5)', () => {
    const cases: [string, string][] = [
      ['й'.normalize('NFD'), 'и + breve'],
      ['हि', 'ha + vowel sign i'],
      ['👩\u200d💻', 'ZWJ emoji'],
      ['🇯🇵', 'flag'],
      ['𠀋', 'supplementary plane'],
      ['e\u0301\u0302\u0303', 'stacked marks'],
    ];
    for (const [unit, what] of cases) {
      for (let pad = 0; pad < 8; pad++) {
        const base = 'x'.repeat(pad) + unit.repeat(Math.ceil(260 / Buffer.byteLength(unit)));
        for (const suffix of ['-1.png', '-10.webp', '.png']) {
          const fitted = fitName(base, suffix);
          assert.ok(Buffer.byteLength(fitted) <= maxNameBytes, `${what} pad ${pad}`);
          assert.ok(fitted.endsWith(suffix));
          const kept = fitted.slice(0, -suffix.length).slice(pad);
          assert.equal(kept, unit.repeat(kept.length / unit.length), `${what} pad ${pad}: whole units only`);
          assert.ok(Buffer.byteLength(fitted) > maxNameBytes - Buffer.byteLength(unit) - 1, `${what}: no more cut than needed`);
        }
      }
    }
  });

  test('even a hostile name gets a name within 255 bytes', () => {
    const hugeCluster = 'a' + '\u0301'.repeat(300); // one grapheme of 601 bytes
    assert.ok(Buffer.byteLength(nextCandidate(`${hugeCluster}.png`, 1)) <= maxNameBytes);
    assert.ok(nextCandidate(`${hugeCluster}.png`, 1).endsWith('-1.png'));
    const hugeExtension = `x.${'e'.repeat(260)}`;
    const candidate = nextCandidate(hugeExtension, 1);
    assert.ok(Buffer.byteLength(candidate) <= maxNameBytes && candidate.startsWith('x-1.'), candidate);
    assert.equal(fitName('', '.png'), '.png');
  });
});

suite('numberedNames and long bases (review of #9, F5)', () => {
  test('a 255-byte base from the save dialog still gives names within 255 bytes, whatever the count or extension', () => {
    const base = 'h'.repeat(251);
    assert.deepEqual(numberedNames(base, 1, 'png'), [`${base}.png`]);
    assert.deepEqual(numberedNames(base, 1, 'webp'), [`${'h'.repeat(250)}.webp`]);
    const ten = numberedNames(base, 10, 'png');
    assert.equal(ten[0], `${'h'.repeat(249)}-1.png`);
    assert.equal(ten[9], `${'h'.repeat(248)}-10.png`);
    assert.equal(new Set(ten).size, 10);
    for (const name of ten) {
      assert.ok(Buffer.byteLength(name) <= maxNameBytes);
      for (const i of [1, 999]) assert.ok(Buffer.byteLength(nextCandidate(name, i)) <= maxNameBytes);
    }
  });
});
