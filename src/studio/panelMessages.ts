/**
 * Which Studio panel operation answers each webview message (the dispatch of src/studio/studioPanel.ts).
 * No `vscode` import, so plain mocha checks the routing.
 *
 * A valid message that nothing handles is a silent bug (the panel once dropped `reuseEdit`: validated,
 * never answered). Here it cannot happen quietly: the handler map is typed over the protocol's
 * message union, so a message type without a handler does not compile; and should a validated message
 * still find none at run time, dispatch says so in the log.
 */
import type { EditFromWebview } from '../shared/editProtocol';
import type { ErrorAction } from '../shared/labels';
import type { ImageOptions } from '../shared/options';
import type { FromWebview, FromWebviewType, ImageCommand, ImageRef, RunId } from '../shared/protocol';

/** What the panel does for its webview. */
export interface PanelOperations {
  /** The webview (re)loaded: send it everything (`init`). */
  init(): Promise<void>;
  generate(runId: RunId, prompt: string, options: ImageOptions): Promise<void>;
  cancel(runId: RunId): void;
  imageCommand(command: ImageCommand, ref: ImageRef): Promise<void>;
  errorAction(action: ErrorAction): Promise<void>;
  tryAgain(failedRunId: RunId, newRunId: RunId): Promise<void>;
  keep(ref: ImageRef): Promise<void>;
  discardOthers(id: string): Promise<void>;
  openParent(id: string): Promise<void>;
  /** Edit mode's messages (src/studio/studioEdits.ts). */
  edit(message: EditFromWebview): Promise<void>;
}

/** The member of the union with type `K` (an intersection, so `{ type: ImageCommand } & ImageRef` yields its four). */
export type MessageOf<K extends FromWebviewType> = FromWebview & { readonly type: K };

/** One handler for each message type of the protocol. */
export type PanelMessageHandlers = { readonly [K in FromWebviewType]: (message: MessageOf<K>) => void | Promise<void> };

const imageRef = ({ id, index }: ImageRef): ImageRef => ({ id, index });

export function panelMessageHandlers(panel: PanelOperations): PanelMessageHandlers {
  const imageCommand = (message: MessageOf<ImageCommand>): Promise<void> => panel.imageCommand(message.type, imageRef(message));
  const edit = (message: EditFromWebview): Promise<void> => panel.edit(message);
  return {
    ready: () => panel.init(),
    generate: (message) => panel.generate(message.runId, message.prompt, message.options),
    cancel: (message) => panel.cancel(message.runId),
    insert: imageCommand,
    open: imageCommand,
    reveal: imageCommand,
    copyLink: imageCommand,
    errorAction: (message) => panel.errorAction(message.action),
    tryAgain: (message) => panel.tryAgain(message.runId, message.newRunId),
    keep: (message) => panel.keep(imageRef(message)),
    discardOthers: (message) => panel.discardOthers(message.id),
    openParent: (message) => panel.openParent(message.id),
    describeImage: edit,
    pickReferences: edit,
    reuseEdit: edit,
    edit,
  };
}

/**
 * Hands a validated message to its handler. One without a handler (a validator that accepts more than
 * the union says) is not dropped silently: `warn` names its type.
 */
export async function dispatchFromWebview(handlers: PanelMessageHandlers, message: FromWebview, warn: (line: string) => void): Promise<void> {
  const handler = Object.hasOwn(handlers, message.type)
    ? (handlers[message.type] as (message: FromWebview) => void | Promise<void>)
    : undefined;
  if (!handler) {
    warn(`Image Studio: a valid message of type ${String(message.type).slice(0, 40)} has no handler; it was dropped.`);
    return;
  }
  await handler(message);
}
