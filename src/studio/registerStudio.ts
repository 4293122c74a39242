import * as vscode from 'vscode';
import { LastEditorTracker } from '../common/editorTarget';
import { commandIds, panelViewType } from '../common/ids';
import type { Log } from '../common/log';
import type { ApiKeyStore } from '../common/secrets';
import type { GenerationService } from '../generation/generationService';
import { PreviewFiles } from './previewFiles';
import { panelTitle, StudioPanel } from './studioPanel';

export interface StudioDeps {
  readonly generation: GenerationService;
  readonly keys: ApiKeyStore;
  readonly log: Log;
  /** Where streamed previews go (set by registerStudio). */
  readonly previews?: PreviewFiles;
}

/**
 * Registers `gptImage.openStudio`, the serializer that brings the panel back after a reload, and the
 * tracker of the text editor that Insert targets. At most one Studio panel exists at a time.
 */
export function registerStudio(context: vscode.ExtensionContext, given: StudioDeps): vscode.Disposable {
  const editors = new LastEditorTracker();
  const previews = new PreviewFiles(vscode.Uri.joinPath(context.globalStorageUri, 'previews'));
  // Leftovers of a window that crashed mid-run; off the activation path.
  void previews.clear();
  const deps: StudioDeps = { ...given, previews };
  let current: StudioPanel | undefined;

  const adopt = (panel: vscode.WebviewPanel): void => {
    const studio = new StudioPanel(panel, context.extensionUri, deps, editors);
    current = studio;
    studio.onDidDispose(() => {
      if (current === studio) current = undefined;
    });
  };

  return vscode.Disposable.from(
    editors,
    vscode.commands.registerCommand(commandIds.openStudio, () => {
      if (current) {
        current.reveal();
        return;
      }
      const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
      adopt(
        vscode.window.createWebviewPanel(
          panelViewType,
          panelTitle,
          { viewColumn: column, preserveFocus: false },
          StudioPanel.webviewOptions(context.extensionUri, deps.generation.historyEntries(), previews.dir),
        ),
      );
    }),
    vscode.window.registerWebviewPanelSerializer(panelViewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        // The webview keeps its own draft in getState(); the gallery comes from workspace state.
        if (current) {
          panel.dispose();
          return;
        }
        adopt(panel);
      },
    }),
    { dispose: () => current?.dispose() },
    { dispose: () => void previews.clear() },
  );
}
