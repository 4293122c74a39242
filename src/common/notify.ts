import * as vscode from 'vscode';
import { plainText } from '../shared/plainText';

export type NotificationSeverity = 'error' | 'warning' | 'info';

export interface NotifyOptions {
  /** A modal dialog instead of a toast (for confirmations). */
  readonly modal?: boolean;
  /** The modal dialog's second line. */
  readonly detail?: string;
}

/**
 * The one way this extension shows a notification. Security: messages carry text from the server and
 * from a workspace's settings, and VS Code makes `[label](command:…)` in a notification a link that
 * runs the command on click. Everything shown goes through plainText here, so no message can carry a
 * link, whoever builds it; a unit test checks nothing else in src/ calls window.show*Message.
 * Resolves to the action picked, or undefined when dismissed.
 */
export function notify<T extends string>(
  severity: NotificationSeverity,
  message: string,
  actions: readonly T[] = [],
  options: NotifyOptions = {},
): Thenable<T | undefined> {
  const text = plainText(message);
  const messageOptions: vscode.MessageOptions = {
    ...(options.modal !== undefined && { modal: options.modal }),
    ...(options.detail !== undefined && { detail: plainText(options.detail) }),
  };
  switch (severity) {
    case 'error':
      return vscode.window.showErrorMessage(text, messageOptions, ...actions);
    case 'warning':
      return vscode.window.showWarningMessage(text, messageOptions, ...actions);
    case 'info':
      return vscode.window.showInformationMessage(text, messageOptions, ...actions);
  }
}
