import type { FromWebview } from '../shared/protocol';
import type { SavedEdit } from '../shared/editState';
import type { ImageOptionField, UncheckedOptions } from '../shared/options';

/** What the webview keeps across hide/show (VS Code persists it; no retainContextWhenHidden). */
export interface SavedState {
  readonly draft?: Draft;
  /** Options the user changed; the others follow the settings when they change. */
  readonly edited?: readonly ImageOptionField[];
  readonly visibleCount?: number;
  /** Edit mode, when it was open (read back through parseSavedEdit, never trusted as is). */
  readonly edit?: SavedEdit;
}

/** The form as the webview state keeps it: the select boxes' and text fields' values, unchecked. */
export interface Draft extends UncheckedOptions {
  readonly prompt: string;
  /** A standard size, `auto`, or `custom` (then `customSize` holds the value). */
  readonly size: string;
  readonly customSize: string;
}

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** acquireVsCodeApi may be called once per page. */
export const vscode: VsCodeApi = acquireVsCodeApi();
