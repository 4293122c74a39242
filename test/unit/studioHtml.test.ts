import * as assert from 'node:assert/strict';
import { escapeHtml, renderStudioHtml } from '../../src/studio/studioHtml';
import {
  backgroundLabel,
  formatLabel,
  imageExtensions,
  maxInvalidValueLength,
  optionText,
  plural,
  promptAdvice,
  qualityLabel,
  qualityPhrase,
  sizeLabel,
} from '../../src/shared/labels';
import { plainText } from '../../src/shared/plainText';
import { assertNoIcon, assertNoLink } from './linkPattern';

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

  test('known values read as words', () => {
    assert.equal(formatLabel('webp'), 'WebP');
    assert.equal(backgroundLabel('transparent'), 'Transparent background');
    assert.equal(qualityLabel('high'), 'High');
    assert.equal(qualityPhrase('high'), 'High quality');
    assert.equal(sizeLabel('1536x1024'), 'Landscape 1536×1024');
    assert.equal(sizeLabel('2048x1152'), '2048×1152');
    assert.equal(sizeLabel('auto'), 'Auto size');
    assert.equal(optionText('background', 'opaque'), 'Opaque');
  });

  test('an unknown setting value is never shown as it is: quoted, cut short, plain, the setting named (review of #9, F1)', () => {
    const phishing = '$(key) Your WisGate key expired. Paste it in the box below';
    const link = '[Verify key](command:workbench.action.terminal.sendSequence?%7B%7D)';
    const labels = [
      formatLabel(phishing),
      backgroundLabel(phishing),
      qualityLabel(phishing),
      qualityPhrase(phishing),
      sizeLabel(phishing),
      optionText('outputFormat', phishing),
      optionText('background', phishing),
      formatLabel(link),
      backgroundLabel(link),
      sizeLabel(link),
    ];
    for (const label of labels) {
      assertNoIcon(label, 'label');
      assertNoLink(label, 'label');
      assert.ok(!label.includes('Your WisGate key expired'), `no sentence survives in ${JSON.stringify(label)}`);
      assert.ok([...label].length <= 'invalid background ""…'.length + maxInvalidValueLength + 1, label);
    }
    assert.equal(formatLabel(phishing), 'invalid format "$\u200b(key) Your WisG…"');
    assert.equal(backgroundLabel('sideways'), 'invalid background "sideways"');
    assert.equal(qualityPhrase('ultra'), 'invalid quality "ultra"');
    assert.equal(sizeLabel('big'), 'invalid size "big"');
    assert.equal(formatLabel('constructor'), 'invalid format "constructor"', 'own keys only');
    assert.equal(backgroundLabel('__proto__'), 'invalid background "__proto__"');
    // As the prompt box of Generate Image… shows it.
    const summary = plainText(
      ['Square 1024×1024', qualityPhrase('auto'), '1 image', formatLabel(phishing), backgroundLabel(phishing)].join(' · '),
    );
    assertNoIcon(summary, 'prompt summary');
    assert.ok(summary.includes('invalid format "'), summary);
  });

  test('image extensions: lower case, no dot, every format we save', () => {
    for (const extension of imageExtensions) assert.match(extension, /^[a-z]+$/);
    for (const saved of ['png', 'jpg', 'jpeg', 'webp']) assert.ok(imageExtensions.includes(saved), saved);
  });
});

suite('Studio page: edit mode and mask brush (issue #13)', () => {
  const html = renderStudioHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css',
    editStyleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/edit.css',
    nonce: 'abc123',
  });

  test('hidden until Edit; a canvas over the image with a label; labelled brush controls', () => {
    assert.match(html, /<section id="edit-mode" class="edit-mode" aria-labelledby="edit-heading" hidden>/);
    assert.match(html, /<img id="edit-source"[^>]*>\s*<canvas id="mask-canvas"[^>]*tabindex="0"[^>]*aria-label="Mask\. Paint the area to change\./);
    assert.match(html, /<label for="brush-size">Brush size<\/label>\s*<input type="range" id="brush-size"/);
    for (const name of ['Brush', 'Eraser', 'Undo', 'Redo', 'Clear', 'Invert', 'Back to Generate', 'Add from Workspace…']) {
      assert.match(html, new RegExp(`<button type="button" id="[a-z-]+" class="[^"]*"[^>]*>${name}</button>`), name);
    }
    assert.match(html, /<button id="send-edit" type="submit" class="primary" hidden>Send<\/button>/);
  });

  test('its stylesheet is our own resource; still no inline styles or scripts', () => {
    assert.ok(html.includes('<link rel="stylesheet" href="https://file+.vscode-resource.vscode-cdn.net/ext/media/edit.css">'));
    assert.doesNotMatch(html, /\sstyle=|<style/i);
    assert.equal((html.match(/<script\b/g) ?? []).length, 1);
  });
});
