import * as vscode from 'vscode';
import type { OutputFormat } from '../shared/options';

/**
 * Streamed previews as temporary files in the extension's global storage (issue #14), shown through
 * `asWebviewUri`. Why files and not data URLs: the CSP stays `img-src ${cspSource}` (a data: source
 * would let any injected markup show arbitrary images), no image bytes cross postMessage (a 2 MB
 * preview as base64 is 2.7 MB of message per tile), and the webview decodes the file lazily like any
 * gallery image. The folder lies outside every workspace, so nothing lands in the user's project.
 * Files of a run are deleted when the next run starts, when the panel closes, and at activation.
 */
export class PreviewFiles {
  private readonly written = new Map<string, vscode.Uri[]>();
  private counter = 0;

  constructor(readonly dir: vscode.Uri) {}

  /** Writes one preview and returns its URI; previews of other runs are deleted first. */
  async write(runId: string, imageIndex: number, bytes: Uint8Array, format: OutputFormat): Promise<vscode.Uri> {
    const ext = format === 'jpeg' ? 'jpg' : format;
    // A fresh name per preview: the webview caches by URI, so overwriting would keep showing the old one.
    const uri = vscode.Uri.joinPath(this.dir, `${runId.slice(0, 32)}-${imageIndex}-${++this.counter}.${ext}`);
    await vscode.workspace.fs.createDirectory(this.dir);
    await vscode.workspace.fs.writeFile(uri, bytes);
    const list = this.written.get(runId) ?? [];
    list.push(uri);
    this.written.set(runId, list);
    return uri;
  }

  /** Deletes every preview except those of `keep` (the run whose last preview may still be shown). */
  async deleteAllBut(keep?: string): Promise<void> {
    for (const [runId, uris] of [...this.written]) {
      if (runId === keep) continue;
      this.written.delete(runId);
      await Promise.all(uris.map((uri) => vscode.workspace.fs.delete(uri).then(undefined, () => undefined)));
    }
  }

  /** Removes the folder (stale previews of a crashed window included). */
  async clear(): Promise<void> {
    this.written.clear();
    await vscode.workspace.fs.delete(this.dir, { recursive: true, useTrash: false }).then(undefined, () => undefined);
  }
}
