import * as assert from 'node:assert/strict';
import { escapeHtml, renderStudioHtml } from '../../src/panel/html';
import { imageExtensions, plural, promptAdvice } from '../../src/shared/labels';

suite('Studio page (renderStudioHtml)', () => {
  const page = {
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css',
    nonce: 'abc123',
  };
  const html = renderStudioHtml(page);
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1].replace(/&#39;/g, "'") ?? '';

  test('a strict CSP: nothing by default, our resources, one nonce for the script', () => {
    assert.match(csp, /^default-src 'none';/);
    assert.match(csp, /img-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net;/);
    assert.match(csp, /style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net;/);
    assert.match(csp, /script-src 'nonce-abc123'$/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|data:|http:/);
  });

  test('the only script is the nonce-tagged bundle; no inline handlers or styles', () => {
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.deepEqual(scripts, [`<script nonce="abc123" src="${page.scriptUri}">`]);
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /\sstyle=|<style/i, 'no inline styles');
  });

  test('every control has a label with the contract name', () => {
    const labels = new Map([...html.matchAll(/<label for="([^"]+)">([^<]+)<\/label>/g)].map((m) => [m[2], m[1]]));
    for (const name of ['Prompt', 'Size', 'Custom size', 'Quality', 'Count', 'Format', 'Background']) {
      const id = labels.get(name);
      assert.ok(id, `a label "${name}"`);
      assert.match(html, new RegExp(`<(textarea|select|input) id="${id}"`), `#${id} exists for "${name}"`);
    }
    assert.match(html, /<button id="generate" type="submit" class="primary">Generate<\/button>/);
    assert.match(html, /role="status"/);
    assert.match(html, /role="alert"/);
  });

  test('the placeholder carries the seed advice, the one wording shared with the palette', () => {
    assert.match(html, /placeholder="Subject \+ style \+ composition \+ key details/);
    assert.ok(html.includes(`placeholder="${escapeHtml(promptAdvice)}"`));
    assert.match(promptAdvice, /^Subject \+ style \+ composition \+ key details, e\.g\. "A beautiful sunset/);
  });

  test('interpolated values are escaped', () => {
    assert.equal(escapeHtml(`"><script>alert('x')</script>&`), '&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;');
    const hostile = renderStudioHtml({ ...page, scriptUri: '"><img src=x onerror=alert(1)>' });
    assert.doesNotMatch(hostile, /<img src=x/);
  });

  test('a fresh nonce per page when none is given', () => {
    const nonceOf = (text: string): string | undefined => /'nonce-([^']+)'/.exec(text.replace(/&#39;/g, "'"))?.[1];
    const { nonce: _unused, ...withoutNonce } = page;
    const first = nonceOf(renderStudioHtml(withoutNonce));
    const second = nonceOf(renderStudioHtml(withoutNonce));
    assert.ok(first && first.length >= 16);
    assert.notEqual(first, second);
  });
});

suite('shared labels', () => {
  test('plural', () => {
    assert.equal(plural(1, 'image'), '1 image');
    assert.equal(plural(0, 'image'), '0 images');
    assert.equal(plural(3, 'attempt'), '3 attempts');
  });

  test('image extensions: lower case, no dot, every format we save', () => {
    for (const extension of imageExtensions) assert.match(extension, /^[a-z]+$/);
    for (const saved of ['png', 'jpg', 'jpeg', 'webp']) assert.ok(imageExtensions.includes(saved), saved);
  });
});
