import * as crypto from 'node:crypto';
import { promptAdvice } from '../shared/labels';
import { editModeHtml } from './editModeHtml';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function createNonce(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/**
 * The Studio's page: a static skeleton with every labelled control; media/panel.js fills
 * in choices, defaults and the gallery after the `ready` handshake.
 *
 * Security: the CSP allows only our own stylesheet, our nonce'd script and images from the resource
 * roots (`cspSource`); no inline handlers, no `eval`, no network. Every interpolated value is escaped.
 */
export function renderStudioHtml(page: {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** `asWebviewUri` of media/panel.js and media/panel.css. */
  readonly scriptUri: string;
  readonly styleUri: string;
  /** media/edit.css: the edit mode and mask brush (issue #13). */
  readonly editStyleUri?: string;
  readonly nonce?: string;
}): string {
  const nonce = page.nonce ?? createNonce();
  const csp = [
    `default-src 'none'`,
    `img-src ${page.cspSource}`,
    `style-src ${page.cspSource}`,
    `font-src ${page.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeHtml(page.styleUri)}">
  ${page.editStyleUri ? `<link rel="stylesheet" href="${escapeHtml(page.editStyleUri)}">` : ''}
  <title>Image Studio</title>
</head>
<body>
  <div id="progress" class="progress" role="progressbar" aria-label="Generating" hidden><div class="progress-bar"></div></div>
  <main id="app">
    ${editModeHtml}
    <form id="form" class="composer" aria-label="Generate an image" novalidate>
      <div class="field prompt-field">
        <label for="prompt">Prompt</label>
        <textarea id="prompt" rows="5" spellcheck="true" aria-describedby="prompt-hint prompt-error"
          placeholder="${escapeHtml(promptAdvice)}"></textarea>
        <div class="field-hint" id="prompt-hint"><span id="prompt-count"></span><span id="shortcut-hint"></span></div>
        <div class="field-error" id="prompt-error"></div>
      </div>
      <div class="options">
        <div class="field">
          <label for="size">Size</label>
          <select id="size"></select>
        </div>
        <div class="field" id="custom-size-field" hidden>
          <label for="custom-size">Custom size</label>
          <input id="custom-size" type="text" inputmode="text" autocomplete="off" spellcheck="false"
            placeholder="2048x1152" aria-describedby="custom-size-error">
          <div class="field-error" id="custom-size-error"></div>
        </div>
        <div class="field">
          <label for="quality">Quality</label>
          <select id="quality"></select>
        </div>
        <div class="field">
          <label for="count">Count</label>
          <select id="count"></select>
        </div>
        <div class="field">
          <label for="format">Format</label>
          <select id="format"></select>
        </div>
        <div class="field">
          <label for="background">Background</label>
          <select id="background" aria-describedby="background-error"></select>
          <div class="field-error" id="background-error"></div>
        </div>
      </div>
      <div class="actions">
        <button id="generate" type="submit" class="primary">Generate</button>
        <button id="send-edit" type="submit" class="primary" hidden>Send</button>
        <span id="elapsed" class="elapsed" role="timer" hidden></span>
        <span id="estimate" class="estimate" aria-live="polite"></span>
        <span id="model" class="model"></span>
      </div>
    </form>
    <div id="key-hint" class="notice" hidden>
      <span>No API key is set yet. Generating will ask for one.</span>
      <button type="button" id="key-hint-button" class="secondary">Set API Key</button>
    </div>
    <div id="status" class="status" role="status" aria-live="polite"></div>
    <div id="alert" class="alert" role="alert"></div>
    <section id="previews" class="previews" aria-label="Previews" hidden>
      <ul id="preview-list" class="gallery"></ul>
      <div id="preview-note" class="preview-note"></div>
    </section>
    <section class="results" aria-labelledby="results-heading">
      <h2 id="results-heading">Results</h2>
      <p id="gallery-empty" class="empty" hidden>No images yet. Describe one above and press Generate.</p>
      <ul id="gallery" class="gallery"></ul>
      <button type="button" id="show-more" class="secondary" hidden>Show more</button>
    </section>
  </main>
  <script nonce="${escapeHtml(nonce)}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>`;
}
