import * as path from 'node:path';
import * as vscode from 'vscode';
import { altFromFile } from '../commands/insertImage';
import { linkSyntaxByLanguage } from '../core/linkFormat';
import { imageExtensions } from '../shared/labels';
import { linkSnippet, withBlockBreaks } from './insertLinks';

/** Our drop edits' kind; Markdown's own are `markdown.*`. */
export const imageLinkDropKind = vscode.DocumentDropOrPasteEditKind.Empty.append('gptImage', 'imageLink');
const markdownKind = vscode.DocumentDropOrPasteEditKind.Empty.append('markdown');

/**
 * Dropping image files (from the Explorer, or any `text/uri-list` source) into a document of the
 * insertion table (issue #15 §3) inserts the same link text as Insert, relative to the document, as a
 * snippet with the alt text selected. In Markdown VS Code has its own drop, which stays the default:
 * ours is offered as an alternative in the drop widget ("Insert image link (GPT Image)").
 */
export function registerImageDrop(): vscode.Disposable {
  const selector = Object.keys(linkSyntaxByLanguage).map((language) => ({ language }));
  return vscode.languages.registerDocumentDropEditProvider(selector, new ImageDropProvider(), {
    providedDropEditKinds: [imageLinkDropKind],
    dropMimeTypes: ['text/uri-list'],
  });
}

export class ImageDropProvider implements vscode.DocumentDropEditProvider {
  async provideDocumentDropEdits(
    document: vscode.TextDocument,
    position: vscode.Position,
    dataTransfer: vscode.DataTransfer,
    token: vscode.CancellationToken,
  ): Promise<vscode.DocumentDropEdit | undefined> {
    const list = await dataTransfer.get('text/uri-list')?.asString();
    if (!list || token.isCancellationRequested) return undefined;
    const files = imageUris(list);
    const [first] = files;
    if (first === undefined) return undefined;
    const at = new vscode.Range(position, position);
    const snippet = new vscode.SnippetString(withBlockBreaks(document, at, linkSnippet(document, files, altFromFile(first))));
    const edit = new vscode.DocumentDropEdit(snippet, files.length === 1 ? 'Insert image link (GPT Image)' : 'Insert image links (GPT Image)', imageLinkDropKind);
    if (document.languageId === 'markdown' || document.languageId === 'mdx') edit.yieldTo = [markdownKind];
    return edit;
  }
}

/** The image files of a `text/uri-list` (RFC 2483: one URI per line, `#` comments), at most 20. */
export function imageUris(list: string): vscode.Uri[] {
  const uris: vscode.Uri[] = [];
  for (const line of list.split(/\r?\n/)) {
    const text = line.trim();
    if (!text || text.startsWith('#')) continue;
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(text, true);
    } catch {
      continue;
    }
    const ext = path.posix.extname(uri.path).slice(1).toLowerCase();
    if (uri.scheme === 'file' && (imageExtensions as readonly string[]).includes(ext)) uris.push(uri);
    if (uris.length >= 20) break;
  }
  return uris;
}
