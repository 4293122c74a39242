import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LastEditorTracker } from '../common/editorTarget';
import { fileExists, revealImage } from '../editor/imageActions';
import { insertImageLinks, linkText } from '../editor/insertLinks';
import { resolveStoredPath, type HistoryEntry } from '../generation/history';
import { workspaceFileFolders } from '../generation/historyFiles';
import type { GenerationService } from '../generation/generationService';
import type { ImageCommand, ImageRef, ToWebview } from '../shared/protocol';

/**
 * What the gallery cards' buttons do: Insert, Open, Reveal, Copy Link. The webview names an image by
 * entry id + index only; the file comes from the workspace history, so no webview can point at a path.
 */
export class GalleryActions {
  constructor(
    private readonly generation: GenerationService,
    private readonly editors: LastEditorTracker,
    private readonly post: (message: ToWebview) => void,
    /** Prunes the history and sends the gallery again (after an image turned out to be gone). */
    private readonly refreshGallery: () => Promise<void>,
  ) {}

  run(command: ImageCommand, ref: ImageRef): Promise<void> {
    switch (command) {
      case 'insert':
        return this.insert(ref);
      case 'open':
        return this.open(ref);
      case 'reveal':
        return this.revealFile(ref);
      case 'copyLink':
        return this.copyLink(ref);
    }
  }

  private async insert(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    const editor = this.editors.get();
    if (!editor) {
      this.post({ type: 'error', message: 'Open a text editor first: Insert puts the link at its cursor.', actions: [] });
      return;
    }
    const inserted = await insertImageLinks({ document: editor.document, viewColumn: editor.viewColumn }, [image.uri], image.entry.prompt);
    this.post({
      type: 'status',
      message: inserted
        ? `Inserted a link to ${vscode.workspace.asRelativePath(image.uri)} into ${path.basename(editor.document.fileName)}.`
        : 'The link could not be inserted: the editor is read-only or changed meanwhile.',
    });
  }

  private async open(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    const viewColumn = this.editors.get()?.viewColumn ?? vscode.ViewColumn.One;
    await vscode.commands.executeCommand('vscode.open', image.uri, { viewColumn, preview: true });
  }

  private async revealFile(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    await revealImage(image.uri);
  }

  private async copyLink(ref: ImageRef): Promise<void> {
    const image = await this.resolveImage(ref);
    if (!image) return;
    const text = linkText(this.editors.get()?.document, image.uri, image.entry.prompt);
    await vscode.env.clipboard.writeText(text);
    this.post({ type: 'status', message: `Copied the link to ${vscode.workspace.asRelativePath(image.uri)}.` });
  }

  /** The file behind an id + index, or undefined (and a refreshed gallery) when it is gone. */
  private async resolveImage(ref: ImageRef): Promise<{ entry: HistoryEntry; uri: vscode.Uri } | undefined> {
    const entry = this.generation.historyEntry(ref.id);
    const file = entry?.files[ref.index];
    const absolute = entry && file ? resolveStoredPath(entry, file, workspaceFileFolders()) : undefined;
    if (entry && absolute && (await fileExists(vscode.Uri.file(absolute)))) {
      return { entry, uri: vscode.Uri.file(absolute) };
    }
    this.post({ type: 'status', message: 'That image no longer exists; it was removed from the gallery.' });
    await this.refreshGallery();
    return undefined;
  }
}
