import * as assert from 'node:assert/strict';
import { findPlaceholders, parseOptions } from '../../src/core/placeholders';

const prompts = (text: string): string[] => findPlaceholders(text).map((p) => p.prompt);

suite('placeholders: the Markdown parser (issue #15)', () => {
  test('empty and gpt-image: targets, with and without a title', () => {
    const text = 'A ![A lighthouse at dusk]() and ![A fox](gpt-image:) and ![Wide](gpt-image: "1536x1024 high") and ![Q](gpt-image: \'portrait low webp\')';
    const found = findPlaceholders(text);
    assert.deepEqual(found.map((p) => p.prompt), ['A lighthouse at dusk', 'A fox', 'Wide', 'Q']);
    assert.deepEqual(found[2].options, { size: '1536x1024', quality: 'high' });
    assert.deepEqual(found[3].options, { size: '1024x1536', quality: 'low', outputFormat: 'webp' });
    const first = found[0];
    assert.equal(text.slice(first.start, first.end), '![A lighthouse at dusk]()');
    assert.equal(text.slice(first.targetStart, first.targetEnd), '');
    assert.equal(text.slice(found[2].targetStart, found[2].targetEnd), 'gpt-image: "1536x1024 high"');
  });

  test('real links, empty alt text and other targets are not placeholders', () => {
    assert.deepEqual(prompts('![done](assets/a.png) ![](gpt-image:) ![x](https://e.com/a.png) [not an image]() ![x](gpt-image:foo) ![x] ()'), []);
  });

  test('code blocks, indented code, inline code and comments are ignored', () => {
    const text = [
      '```md', '![in fence]()', '```', '~~~~', '![in tilde]()', '~~~', 'still code: a shorter fence does not close', '~~~~~', '', '    ![indented]()', '',
      'Use `![inline]()` or ``![double `tick`]()`` here', '<!-- ![comment]() -->', '![real one]()', '```', '![unclosed fence]()',
    ].join('\n');
    assert.deepEqual(prompts(text), ['real one']);
  });

  test('escaped brackets, nested brackets and escaped bangs', () => {
    assert.deepEqual(prompts('![a \\] b]() ![outer [inner] text]() \\![escaped bang]() !\\[escaped bracket]()'), ['a ] b', 'outer [inner] text']);
  });

  test('an alt text over several lines is one prompt; a blank line ends it', () => {
    assert.deepEqual(prompts('![A red\nfox   in snow]()'), ['A red fox in snow']);
    assert.deepEqual(prompts('![A red\n\nfox]()'), []);
  });

  test('hostile alt text: command links and markup are prompt text, nothing more; a huge one is flagged', () => {
    const [link] = findPlaceholders('![[run](command:workbench.action.terminal.sendSequence?%7B%7D)]()');
    assert.equal(link.prompt, '[run](command:workbench.action.terminal.sendSequence?%7B%7D)');
    const [huge] = findPlaceholders(`![${'a'.repeat(40_000)}]()`);
    assert.match(huge.problem ?? '', /longer than 32000/);
  });

  test('alt text with C0/C1 controls or bidi overrides is refused, naming the character, never sent', () => {
    const cases: [string, string][] = [
      ['A harbour \u202Egnirts\u202C at dusk', 'U+202E at character 11'],
      ['A bell\u0007 tower', 'U+0007 at character 7'],
      ['C1 \u0085 next line', 'U+0085 at character 4'],
      ['An isolate \u2067x\u2069', 'U+2067 at character 12'],
      ['A mark \u200F here', 'U+200F at character 8'],
    ];
    for (const [alt, where] of cases) {
      const [p] = findPlaceholders(`![${alt}]()`);
      assert.ok(p, JSON.stringify(alt));
      assert.match(p.problem ?? '', /invisible control or bidi character/, JSON.stringify(alt));
      assert.ok(p.problem?.includes(where), `${JSON.stringify(alt)}: ${p.problem}`);
    }
    // Tabs and line breaks are whitespace (made one space), and joiners stay: emoji and scripts need them.
    assert.equal(findPlaceholders('![A\tcat\non a mat]()')[0]?.problem, undefined);
    assert.equal(findPlaceholders('![A family \u{1F468}\u200D\u{1F469} ]()')[0]?.problem, undefined);
  });

  test('unknown title options are a problem that names them, not silently ignored', () => {
    const [p] = findPlaceholders('![x](gpt-image: "1536x1024 ultra")');
    assert.match(p.problem ?? '', /unknown option "ultra"/);
    assert.deepEqual(parseOptions('Landscape, HIGH jpg transparent').options, { size: '1536x1024', quality: 'high', outputFormat: 'jpeg', background: 'transparent' });
  });

  test('a hostile document stays linear: 200,000 unmatched brackets and backticks', () => {
    // A quadratic parser would take minutes here and hit mocha's timeout; no timing assertion needed.
    assert.deepEqual(findPlaceholders('![`'.repeat(200_000)), []);
    assert.deepEqual(findPlaceholders(`${'[x'.repeat(100_000)} ![ok]()`).map((p) => p.prompt), ['ok']);
  });

  test('reviewer #15: backtick runs of many different lengths stay linear (were quadratic: 6.5 s for 2 MB)', () => {
    // Runs of 1, 2, … 3,000 backticks, none closed: the old closing-run scan read the rest of the text
    // once per distinct length (about 7·10⁹ steps here, far past mocha's timeout).
    let text = '';
    for (let run = 1; run <= 3000; run++) text += `${'`'.repeat(run)} `;
    assert.deepEqual(prompts(`${text}![after the runs]()`), ['after the runs']);
    // Code spans are still found after an escaped backtick and among runs of other lengths.
    assert.deepEqual(prompts('\\\\`` `![in code]()` `` ![out]()'), ['out']);
    assert.deepEqual(prompts('\\`` `![in code]()` `` ![out]()'), ['in code', 'out']);
    assert.deepEqual(prompts('a ``` `x` ![in code]() ``` ![out]() ` ![in]() `'), ['out']);
  });
});
