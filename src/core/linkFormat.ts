import { dirnameOf, isInside, toPosixRelative } from './paths';

/** The link syntaxes we know; `path` is the bare path for every other language. */
export type LinkSyntax = 'markdown' | 'html' | 'jsx' | 'css' | 'asciidoc' | 'restructuredtext' | 'latex' | 'path';

/** Which syntax each VS Code language id gets (see inserting-images.md). Other ids get `path`. */
export const linkSyntaxByLanguage: Readonly<Record<string, LinkSyntax>> = Object.freeze({
  markdown: 'markdown',
  mdx: 'markdown',
  html: 'html',
  vue: 'html',
  svelte: 'html',
  php: 'html',
  javascriptreact: 'jsx',
  typescriptreact: 'jsx',
  css: 'css',
  scss: 'css',
  less: 'css',
  asciidoc: 'asciidoc',
  restructuredtext: 'restructuredtext',
  latex: 'latex',
});

/** The syntax used for a document of `languageId`. */
export function linkSyntaxFor(languageId: string): LinkSyntax {
  return (Object.hasOwn(linkSyntaxByLanguage, languageId) ? linkSyntaxByLanguage[languageId] : undefined) ?? 'path';
}

/** VS Code's language id for a file by its extension, for a document that is not open (or not written yet). */
const languageByExtension: Readonly<Record<string, string>> = Object.freeze({
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'mdx',
  html: 'html',
  htm: 'html',
  vue: 'vue',
  svelte: 'svelte',
  php: 'php',
  jsx: 'javascriptreact',
  tsx: 'typescriptreact',
  css: 'css',
  scss: 'scss',
  less: 'less',
  adoc: 'asciidoc',
  asciidoc: 'asciidoc',
  rst: 'restructuredtext',
  tex: 'latex',
});

/** The language id a file of this name would open with (`plaintext` when none of ours). */
export function languageIdForPath(file: string): string {
  const ext = /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase() ?? '';
  return (Object.hasOwn(languageByExtension, ext) ? languageByExtension[ext] : undefined) ?? 'plaintext';
}

/** Alt text is cut to at most this many characters (including the `…`). */
export const maxAltLength = 100;

/**
 * Alt text from a prompt: control characters and runs of whitespace become one space, and a long prompt
 * is cut at a word boundary (hard, if the only boundary is early) and ends with `…`.
 */
export function altText(prompt: string): string {
  const text = prompt
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // Count code points, so an emoji is never cut in half.
  const chars = Array.from(text);
  if (chars.length <= maxAltLength) return text;
  let cut = chars.slice(0, maxAltLength - 1).join('');
  const space = cut.lastIndexOf(' ');
  if (space >= maxAltLength * 0.6) cut = cut.slice(0, space);
  return cut.replace(/[\s,;:.-]+$/, '') + '…';
}

export interface ImageLinkOptions {
  /** The VS Code language id of the document the link goes into. */
  readonly languageId: string;
  /** Absolute path of the document; `undefined` for an untitled (or non-file) document. */
  readonly documentPath?: string;
  /** Absolute path of the workspace folder, used when there is no document path. */
  readonly workspaceRoot?: string;
  /** Absolute path of the saved image. */
  readonly imagePath: string;
  /** Alt text, usually the prompt; shortened with {@link altText}. */
  readonly alt: string;
}

export interface ImageLink {
  /** What to insert as plain text. */
  readonly text: string;
  /** The same as a VS Code snippet string: the alt text is tab stop 1, everything else escaped. */
  readonly snippet: string;
}

/**
 * The path a link uses, in POSIX form without a `./` prefix: relative to the document's folder when the
 * document is saved (also when it is outside the workspace: only a document-relative path resolves from
 * there), else relative to the workspace root when the image is inside it, else absolute.
 */
export function linkPath(options: Pick<ImageLinkOptions, 'documentPath' | 'workspaceRoot' | 'imagePath'>): string {
  const { documentPath, workspaceRoot, imagePath } = options;
  let rel: string | undefined;
  if (documentPath !== undefined) rel = toPosixRelative(dirnameOf(documentPath), imagePath);
  if (rel === undefined && workspaceRoot !== undefined && isInside(workspaceRoot, imagePath)) {
    rel = toPosixRelative(workspaceRoot, imagePath);
  }
  if (rel === undefined) return imagePath.replace(/\\/g, '/');
  // `c:foo.png` or `http:x.png` would read as a URL scheme.
  return /^[^/]*:/.test(rel) ? `./${rel}` : rel;
}

const percentEncode = (ch: string): string => encodeURIComponent(ch);

/** Control characters would end the line, or the link, in every syntax. */
function encodeControls(p: string): string {
  return p.replace(/[\x00-\x1f\x7f]/g, percentEncode);
}

/**
 * `#`, `?` and `%` are URL syntax and `\` reads as `/` in browsers, so they are encoded in every syntax
 * whose path is a URL (Markdown, HTML, CSS). Everything else stays readable: unicode, `(`, `'`.
 */
function encodeUrlSyntax(p: string): string {
  // One pass, so the `%` of an encoded control character is not encoded again.
  return p.replace(/[%#?\\\x00-\x1f\x7f]/g, percentEncode);
}

/** VS Code Markdown's rule: unbalanced parentheses can't be written raw in `(…)`. */
function hasUnbalancedParens(p: string): boolean {
  let depth = 0;
  for (const ch of p) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return true;
  }
  return depth !== 0;
}

/** Like VS Code Markdown: `<…>` around paths with whitespace, `<`, `>` or unbalanced parentheses. */
function markdownDestination(p: string): string {
  // Control characters are already percent-encoded here, so only whitespace needs the brackets.
  const encoded = encodeUrlSyntax(p);
  if (/[\s<>]/.test(encoded) || hasUnbalancedParens(encoded)) {
    return `<${encoded.replace(/[<>]/g, '\\$&')}>`;
  }
  return encoded;
}

const htmlEntities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '{': '&#123;',
  '}': '&#125;',
};

function escapeHtml(text: string, jsx: boolean): string {
  return text.replace(jsx ? /[&<>"'{}]/g : /[&<>"']/g, (ch) => htmlEntities[ch] ?? ch);
}

/** Encodes only what would end or confuse a double-quoted `src`; `&` becomes `&amp;`. */
function htmlSrc(p: string): string {
  return encodeUrlSyntax(p)
    .replace(/[\s"<>]/g, percentEncode)
    .replace(/&/g, '&amp;');
}

function cssUrl(p: string): string {
  return encodeUrlSyntax(p).replace(/["\\]/g, '\\$&');
}

/** `,` and `=` would start a second attribute, so such alt text is quoted. */
function escapeAsciidocAlt(text: string): string {
  if (/[,="]/.test(text)) return `"${text.replace(/["\]]/g, '\\$&')}"`;
  return text.replace(/\]/g, '\\]');
}

/** Escapes text for a VS Code snippet: `$`, `}` and `\` are the grammar's specials. */
export function escapeSnippet(text: string): string {
  return text.replace(/[$}\\]/g, '\\$&');
}

/** A link as literal text around at most one alt-text slot. */
type Parts = readonly [before: string, alt?: string, after?: string];

function linkParts(syntax: LinkSyntax, p: string, alt: string): Parts {
  switch (syntax) {
    case 'markdown':
      return ['![', alt.replace(/[\\[\]]/g, '\\$&'), `](${markdownDestination(p)})`];
    case 'html':
      return [`<img src="${htmlSrc(p)}" alt="`, escapeHtml(alt, false), '">'];
    case 'jsx':
      return [`<img src="${htmlSrc(p)}" alt="`, escapeHtml(alt, true), '" />'];
    case 'css':
      return [`url("${cssUrl(p)}")`];
    case 'asciidoc':
      return [`image::${encodeControls(p).replace(/\[/g, '%5B')}[`, escapeAsciidocAlt(alt), ']'];
    case 'restructuredtext':
      // docutils rejects an empty :alt: option, so it is left out.
      return alt === '' ? [`.. image:: ${encodeControls(p)}`] : [`.. image:: ${encodeControls(p)}\n   :alt: `, alt, ''];
    case 'latex':
      return [`\\includegraphics{${encodeControls(p)}}`];
    case 'path':
      return [encodeControls(p)];
  }
}

/**
 * The link to insert for an image into a document of `languageId`, in the syntax of
 * {@link linkSyntaxByLanguage}, with the path from {@link linkPath} and the alt text from {@link altText}
 * escaped for the syntax. The snippet makes the alt text tab stop 1.
 */
export function formatImageLink(options: ImageLinkOptions): ImageLink {
  const syntax = linkSyntaxFor(options.languageId);
  const [before, alt, after = ''] = linkParts(syntax, linkPath(options), altText(options.alt));
  if (alt === undefined) return { text: before, snippet: escapeSnippet(before) };
  const stop = alt === '' ? '${1}' : `\${1:${escapeSnippet(alt)}}`;
  return { text: before + alt + after, snippet: escapeSnippet(before) + stop + escapeSnippet(after) };
}

/**
 * Links for several images, one per line by default. Every snippet uses tab stop 1, so typing the alt
 * text once renames all of them.
 */
export function formatImageLinks(list: readonly ImageLinkOptions[], separator = '\n'): ImageLink {
  const links = list.map(formatImageLink);
  return {
    text: links.map((l) => l.text).join(separator),
    snippet: links.map((l) => l.snippet).join(escapeSnippet(separator)),
  };
}

/** What goes between the parentheses of a Markdown image link to the image (placeholders fill it in). */
export function markdownImageDestination(options: Pick<ImageLinkOptions, 'documentPath' | 'workspaceRoot' | 'imagePath'>): string {
  return markdownDestination(linkPath(options));
}

/**
 * Line breaks around a link inserted between `before` and `after` (the text of its line on either
 * side), so a block-level image never glues onto the line's text (reviewer #15: Insert at 1:1 of
 * `# Notes` made `![…](…)# Notes`, and the heading was gone):
 * - Markdown/MDX: an image is inline, so mid-line it stays inline; at the start of a line (only
 *   indentation before it) with text after it, a line break follows, so the heading or list item keeps
 *   its line.
 * - AsciiDoc `image::` and reStructuredText `.. image::` are block syntax and must have lines of their
 *   own: a break before when text precedes, after when text follows (reStructuredText needs a blank
 *   line around explicit markup, so two).
 * - HTML, JSX, CSS, LaTeX and paths are inline wherever they go: nothing is added.
 */
export function blockLinkBreaks(languageId: string, before: string, after: string): { readonly prefix: string; readonly suffix: string } {
  const textBefore = before.trim() !== '';
  const textAfter = after.trim() !== '';
  switch (linkSyntaxFor(languageId)) {
    case 'markdown':
      return { prefix: '', suffix: !textBefore && textAfter ? '\n' : '' };
    case 'asciidoc':
      return { prefix: textBefore ? '\n' : '', suffix: textAfter ? '\n' : '' };
    case 'restructuredtext':
      return { prefix: textBefore ? '\n\n' : '', suffix: textAfter ? '\n\n' : '' };
    default:
      return { prefix: '', suffix: '' };
  }
}
