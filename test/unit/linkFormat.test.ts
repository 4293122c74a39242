import * as assert from 'node:assert/strict';
import {
  altText,
  blockLinkBreaks,
  escapeSnippet,
  formatImageLink,
  formatImageLinks,
  linkPath,
  linkSyntaxByLanguage,
  linkSyntaxFor,
  maxAltLength,
  type ImageLinkOptions,
} from '../../src/core/linkFormat';

const ws = '/home/me/site';
const image = `${ws}/assets/fox.png`;
const doc = (rel: string): string => `${ws}/${rel}`;

function link(languageId: string, more: Partial<ImageLinkOptions> = {}): { text: string; snippet: string } {
  return formatImageLink({
    languageId,
    documentPath: doc('docs/page.x'),
    workspaceRoot: ws,
    imagePath: image,
    alt: 'A fox',
    ...more,
  });
}

suite('linkFormat: one line per language', () => {
  const jsxText = '<img src="../assets/fox.png" alt="A fox" />';
  const jsxSnippet = '<img src="../assets/fox.png" alt="${1:A fox}" />';
  const table: [string, string, string][] = [
    ['markdown', '![A fox](../assets/fox.png)', '![${1:A fox}](../assets/fox.png)'],
    ['mdx', '![A fox](../assets/fox.png)', '![${1:A fox}](../assets/fox.png)'],
    ['html', '<img src="../assets/fox.png" alt="A fox">', '<img src="../assets/fox.png" alt="${1:A fox}">'],
    ['vue', '<img src="../assets/fox.png" alt="A fox">', '<img src="../assets/fox.png" alt="${1:A fox}">'],
    ['svelte', '<img src="../assets/fox.png" alt="A fox">', '<img src="../assets/fox.png" alt="${1:A fox}">'],
    ['php', '<img src="../assets/fox.png" alt="A fox">', '<img src="../assets/fox.png" alt="${1:A fox}">'],
    ['javascriptreact', jsxText, jsxSnippet],
    ['typescriptreact', jsxText, jsxSnippet],
    ['css', 'url("../assets/fox.png")', 'url("../assets/fox.png")'],
    ['scss', 'url("../assets/fox.png")', 'url("../assets/fox.png")'],
    ['less', 'url("../assets/fox.png")', 'url("../assets/fox.png")'],
    ['asciidoc', 'image::../assets/fox.png[A fox]', 'image::../assets/fox.png[${1:A fox}]'],
    [
      'restructuredtext',
      '.. image:: ../assets/fox.png\n   :alt: A fox',
      '.. image:: ../assets/fox.png\n   :alt: ${1:A fox}',
    ],
    ['latex', '\\includegraphics{../assets/fox.png}', '\\\\includegraphics{../assets/fox.png\\}'],
    ['plaintext', '../assets/fox.png', '../assets/fox.png'],
    ['python', '../assets/fox.png', '../assets/fox.png'],
    ['constructor', '../assets/fox.png', '../assets/fox.png'],
  ];
  for (const [languageId, text, snippet] of table) {
    test(languageId, () => assert.deepEqual(link(languageId), { text, snippet }));
  }

  test('the exported table covers exactly the documented languages', () => {
    assert.deepEqual(Object.keys(linkSyntaxByLanguage).sort(), [
      'asciidoc',
      'css',
      'html',
      'javascriptreact',
      'latex',
      'less',
      'markdown',
      'mdx',
      'php',
      'restructuredtext',
      'scss',
      'svelte',
      'typescriptreact',
      'vue',
    ]);
    for (const id of Object.keys(linkSyntaxByLanguage)) assert.equal(linkSyntaxFor(id), linkSyntaxByLanguage[id], id);
    assert.equal(linkSyntaxFor('toString'), 'path');
    assert.equal(linkSyntaxFor('go'), 'path');
  });
});

suite('linkPath', () => {
  test('document-relative POSIX paths without ./', () => {
    assert.equal(linkPath({ documentPath: doc('README.md'), workspaceRoot: ws, imagePath: image }), 'assets/fox.png');
    assert.equal(linkPath({ documentPath: doc('assets/notes.md'), imagePath: image }), 'fox.png');
    assert.equal(linkPath({ documentPath: doc('a/b/c/d.md'), imagePath: image }), '../../../assets/fox.png');
  });

  test('a saved document outside the workspace still gets a document-relative path', () => {
    const outside = linkPath({ documentPath: '/tmp/notes.md', workspaceRoot: ws, imagePath: image });
    assert.equal(outside, '../home/me/site/assets/fox.png');
  });

  test('untitled documents get workspace-relative paths, or absolute ones without a workspace', () => {
    assert.equal(linkPath({ workspaceRoot: ws, imagePath: image }), 'assets/fox.png');
    assert.equal(linkPath({ imagePath: image }), image);
    assert.equal(linkPath({ workspaceRoot: '/other', imagePath: image }), image);
  });

  test('Windows paths never produce backslashes', () => {
    const img = 'C:\\Users\\Me\\site\\assets\\fox.png';
    assert.equal(linkPath({ documentPath: 'C:\\Users\\Me\\site\\docs\\a.md', imagePath: img }), '../assets/fox.png');
    assert.equal(linkPath({ workspaceRoot: 'c:\\users\\me\\site', imagePath: img }), 'assets/fox.png');
    assert.equal(linkPath({ imagePath: img }), 'C:/Users/Me/site/assets/fox.png');
    // Another drive: no relative path exists.
    assert.equal(linkPath({ documentPath: 'D:\\notes\\a.md', imagePath: img }), 'C:/Users/Me/site/assets/fox.png');
  });

  test('a first segment that looks like a URL scheme gets ./', () => {
    assert.equal(linkPath({ documentPath: doc('x.md'), imagePath: doc('http:fox.png') }), './http:fox.png');
  });
});

suite('linkFormat: awkward paths', () => {
  const at = (name: string): Partial<ImageLinkOptions> => ({ imagePath: `${ws}/assets/${name}` });

  test('markdown wraps whitespace and unbalanced parentheses in <…>, like VS Code', () => {
    assert.equal(link('markdown', at('a fox.png')).text, '![A fox](<../assets/a fox.png>)');
    assert.equal(link('markdown', at('fox (1).png')).text, '![A fox](<../assets/fox (1).png>)');
    assert.equal(link('markdown', at('fox(1).png')).text, '![A fox](../assets/fox(1).png)');
    assert.equal(link('markdown', at('fox).png')).text, '![A fox](<../assets/fox).png>)');
    assert.equal(link('markdown', at('fox(.png')).text, '![A fox](<../assets/fox(.png>)');
    assert.equal(link('markdown', at(')(.png')).text, '![A fox](<../assets/)(.png>)');
    assert.equal(link('markdown', at('a<b>.png')).text, '![A fox](<../assets/a\\<b\\>.png>)');
    assert.equal(link('markdown', at('tab\there.png')).text, '![A fox](../assets/tab%09here.png)');
  });

  test('markdown encodes URL syntax and keeps unicode readable', () => {
    assert.equal(link('markdown', at('#1.png')).text, '![A fox](../assets/%231.png)');
    assert.equal(link('markdown', at('what?.png')).text, '![A fox](../assets/what%3F.png)');
    assert.equal(link('markdown', at('100%.png')).text, '![A fox](../assets/100%25.png)');
    assert.equal(link('markdown', at('a\\b.png')).text, '![A fox](../assets/a%5Cb.png)');
    assert.equal(link('markdown', at('renard é 猫.png')).text, '![A fox](<../assets/renard é 猫.png>)');
    assert.equal(link('markdown', at('猫.png')).text, '![A fox](../assets/猫.png)');
  });

  test('a folder with spaces on the way', () => {
    const r = formatImageLink({
      languageId: 'markdown',
      documentPath: '/home/me/My Site/docs/Read Me.md',
      imagePath: '/home/me/My Site/Generated Images/fox.png',
      alt: 'fox',
    });
    assert.equal(r.text, '![fox](<../Generated Images/fox.png>)');
  });

  test('html attributes: encode only what breaks them', () => {
    assert.equal(link('html', at('a fox "x".png')).text, '<img src="../assets/a%20fox%20%22x%22.png" alt="A fox">');
    assert.equal(link('html', at('r&d #1.png')).text, '<img src="../assets/r&amp;d%20%231.png" alt="A fox">');
    assert.equal(link('html', at("it's (é).png")).text, `<img src="../assets/it's%20(é).png" alt="A fox">`);
    assert.equal(link('html', at('<b>.png')).text, '<img src="../assets/%3Cb%3E.png" alt="A fox">');
    assert.equal(link('typescriptreact', at('a b.png')).text, '<img src="../assets/a%20b.png" alt="A fox" />');
  });

  test('css url("") escapes and encodes', () => {
    assert.equal(link('css', at('a "b".png')).text, 'url("../assets/a \\"b\\".png")');
    assert.equal(link('css', at('a\\b.png')).text, 'url("../assets/a%5Cb.png")');
    assert.equal(link('css', at('a\nb#.png')).text, 'url("../assets/a%0Ab%23.png")');
    assert.equal(link('css', at('a\\b.png')).snippet, 'url("../assets/a%5Cb.png")');
    assert.equal(link('css', at('a "b".png')).snippet, 'url("../assets/a \\\\"b\\\\".png")');
  });

  test('asciidoc, rst, latex and bare paths keep spaces', () => {
    assert.equal(link('asciidoc', at('a b[1].png')).text, 'image::../assets/a b%5B1].png[A fox]');
    assert.equal(link('restructuredtext', at('a b.png')).text, '.. image:: ../assets/a b.png\n   :alt: A fox');
    assert.equal(link('latex', at('a b.png')).text, '\\includegraphics{../assets/a b.png}');
    assert.equal(link('plaintext', at('a b.png')).text, '../assets/a b.png');
    assert.equal(link('plaintext', at('a\nb.png')).text, '../assets/a%0Ab.png');
  });

  test('untitled documents in every syntax use the workspace-relative path', () => {
    for (const languageId of [...Object.keys(linkSyntaxByLanguage), 'plaintext']) {
      const r = link(languageId, { documentPath: undefined });
      assert.ok(r.text.includes('assets/fox.png'), languageId);
      assert.ok(!r.text.includes('../'), languageId);
    }
  });
});

suite('linkFormat: alt text', () => {
  test('whitespace is collapsed and control characters dropped', () => {
    assert.equal(altText('  a\n\tb   c\u0000d  '), 'a b c d');
  });

  test('long prompts are cut at a word boundary with …', () => {
    const prompt = 'word '.repeat(50);
    const alt = altText(prompt);
    assert.ok(alt.length <= maxAltLength, String(alt.length));
    assert.ok(alt.endsWith('word…'), alt);
    assert.equal(altText('x'.repeat(300)), 'x'.repeat(maxAltLength - 1) + '…');
    assert.equal(altText('y'.repeat(maxAltLength)), 'y'.repeat(maxAltLength));
  });

  test('an emoji is never cut in half', () => {
    const alt = altText('🦊'.repeat(150));
    assert.equal(Array.from(alt).length, maxAltLength);
    assert.ok(!/[\uD800-\uDBFF]…$/.test(alt));
  });

  test('markdown escapes brackets and backslashes', () => {
    assert.deepEqual(link('markdown', { alt: 'a [b] \\ c' }), {
      text: '![a \\[b\\] \\\\ c](../assets/fox.png)',
      snippet: '![${1:a \\\\[b\\\\] \\\\\\\\ c}](../assets/fox.png)',
    });
  });

  test('html escapes & < > " \'', () => {
    assert.equal(
      link('html', { alt: `Tom & "Jerry" <3 it's` }).text,
      '<img src="../assets/fox.png" alt="Tom &amp; &quot;Jerry&quot; &lt;3 it&#39;s">',
    );
    assert.equal(link('html', { alt: '{x}' }).text, '<img src="../assets/fox.png" alt="{x}">');
  });

  test('jsx also escapes braces', () => {
    const text = link('javascriptreact', { alt: '{x} & y' }).text;
    assert.equal(text, '<img src="../assets/fox.png" alt="&#123;x&#125; &amp; y" />');
  });

  test('asciidoc escapes ] and quotes alt text with , or =', () => {
    assert.equal(link('asciidoc', { alt: 'a [b]' }).text, 'image::../assets/fox.png[a [b\\]]');
    assert.equal(link('asciidoc', { alt: 'red, blue' }).text, 'image::../assets/fox.png["red, blue"]');
    assert.equal(link('asciidoc', { alt: 'say "hi", x=1]' }).text, 'image::../assets/fox.png["say \\"hi\\", x=1\\]"]');
  });

  test('an empty alt keeps the tab stop, and rst drops the :alt: line', () => {
    assert.deepEqual(link('markdown', { alt: '  ' }), {
      text: '![](../assets/fox.png)',
      snippet: '![${1}](../assets/fox.png)',
    });
    assert.deepEqual(link('restructuredtext', { alt: '' }), {
      text: '.. image:: ../assets/fox.png',
      snippet: '.. image:: ../assets/fox.png',
    });
  });
});

suite('linkFormat: snippets', () => {
  test('escapeSnippet escapes $, } and \\', () => {
    assert.equal(escapeSnippet('a $1 ${2:x} \\ }'), 'a \\$1 \\${2:x\\} \\\\ \\}');
  });

  test('$ and } in a prompt stay literal in the snippet', () => {
    const r = link('markdown', { alt: 'costs $5 ${HOME} {x}' });
    assert.equal(r.text, '![costs $5 ${HOME} {x}](../assets/fox.png)');
    assert.equal(r.snippet, '![${1:costs \\$5 \\${HOME\\} {x\\}}](../assets/fox.png)');
  });

  test('$ and } in a path stay literal in the snippet', () => {
    const r = link('html', { imagePath: `${ws}/assets/$x}.png`, alt: '$' });
    assert.equal(r.text, '<img src="../assets/$x}.png" alt="$">');
    assert.equal(r.snippet, '<img src="../assets/\\$x\\}.png" alt="${1:\\$}">');
    assert.equal(link('plaintext', { imagePath: `${ws}/assets/$x}.png` }).snippet, '../assets/\\$x\\}.png');
  });

  test('the snippet, unescaped, is the text', () => {
    const unescape = (s: string): string => s.replace(/\$\{1:?((?:[^\\}]|\\.)*)\}/, '$1').replace(/\\(.)/g, '$1');
    const prompts = ['plain', 'a $b} \\c', '[x] & <y> "z" {w}', 'ünïcödé, = ] 🦊'];
    for (const languageId of [...Object.keys(linkSyntaxByLanguage), 'plaintext']) {
      for (const alt of prompts) {
        const r = link(languageId, { alt, imagePath: `${ws}/assets/my $pic} (1).png` });
        assert.equal(unescape(r.snippet), r.text, `${languageId}: ${alt}`);
      }
    }
  });
});

suite('formatImageLinks', () => {
  test('joins several links with a new line, sharing tab stop 1', () => {
    const list = ['a.png', 'b.png'].map((name) => ({
      languageId: 'markdown',
      documentPath: doc('README.md'),
      imagePath: `${ws}/assets/${name}`,
      alt: 'Two $ foxes',
    }));
    assert.deepEqual(formatImageLinks(list), {
      text: '![Two $ foxes](assets/a.png)\n![Two $ foxes](assets/b.png)',
      snippet: '![${1:Two \\$ foxes}](assets/a.png)\n![${1:Two \\$ foxes}](assets/b.png)',
    });
    assert.equal(formatImageLinks(list, ' ').text, '![Two $ foxes](assets/a.png) ![Two $ foxes](assets/b.png)');
    assert.deepEqual(formatImageLinks([]), { text: '', snippet: '' });
  });
});

suite('blockLinkBreaks (reviewer #15: Insert at 1:1 of "# Notes" made "![…](…)# Notes")', () => {
  const around = (languageId: string, before: string, after: string, link: string): string => {
    const { prefix, suffix } = blockLinkBreaks(languageId, before, after);
    return before + prefix + link + suffix + after;
  };
  test('Markdown: at the start of a non-empty line the image gets its own line; mid-line it stays inline', () => {
    assert.equal(around('markdown', '', '# Notes', '![a](a.png)'), '![a](a.png)\n# Notes');
    assert.equal(around('mdx', '  ', '- item', '![a](a.png)'), '  ![a](a.png)\n- item');
    assert.equal(around('markdown', 'see ', ' here', '![a](a.png)'), 'see ![a](a.png) here');
    assert.equal(around('markdown', 'end: ', '', '![a](a.png)'), 'end: ![a](a.png)');
    assert.equal(around('markdown', '', '   ', '![a](a.png)'), '![a](a.png)   ');
  });
  test('AsciiDoc and reStructuredText block images always get lines of their own', () => {
    assert.equal(around('asciidoc', '', '== Notes', 'image::a.png[a]'), 'image::a.png[a]\n== Notes');
    assert.equal(around('asciidoc', 'Text ', 'more', 'image::a.png[a]'), 'Text \nimage::a.png[a]\nmore');
    assert.equal(around('restructuredtext', '', 'Notes', '.. image:: a.png'), '.. image:: a.png\n\nNotes');
    assert.equal(around('restructuredtext', 'Text', '', '.. image:: a.png'), 'Text\n\n.. image:: a.png');
  });
  test('inline syntaxes (HTML, JSX, CSS, LaTeX, paths) are never broken', () => {
    for (const languageId of ['html', 'typescriptreact', 'css', 'latex', 'plaintext']) {
      assert.deepEqual(blockLinkBreaks(languageId, '', 'text after'), { prefix: '', suffix: '' }, languageId);
      assert.deepEqual(blockLinkBreaks(languageId, 'before', 'after'), { prefix: '', suffix: '' }, languageId);
    }
  });
});
