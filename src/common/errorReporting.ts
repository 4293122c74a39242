import * as vscode from 'vscode';
import { commandIds } from './ids';
import { configSection, openSettings } from './config';
import { openProxySettings } from './networkSettings';
import { ImageApiError } from '../core/errors';
import { describeError, type DescribeContext } from '../core/errorMessages';
import type { Log } from './log';
import { notify } from './notify';
import { type ErrorAction, errorActionLabels } from '../shared/labels';

/** How a surface reports an error: what the user was doing, and how to send the same request again. */
export interface ReportContext extends Omit<DescribeContext, 'canTryAgain'> {
  /** Re-runs the failed request (same prompt and options); with it, transient errors offer Try Again. */
  readonly tryAgain?: () => unknown;
}

/**
 * Runs what an error button offers. Shared by notifications and the Studio's alert buttons; Try Again
 * runs `tryAgain`, the surface's own re-run of the same request (nothing without one).
 */
export async function runErrorAction(action: ErrorAction, tryAgain?: () => unknown): Promise<void> {
  switch (action) {
    case 'tryAgain':
      await tryAgain?.();
      return;
    case 'setApiKey':
      await vscode.commands.executeCommand(commandIds.setApiKey);
      return;
    case 'openSettings':
      await openSettings();
      return;
    case 'openProxySettings':
      await openProxySettings();
      return;
    case 'showLog':
      await vscode.commands.executeCommand(commandIds.showLog);
      return;
  }
}

/** The setting a timeout's advice names (core says only "the timeout"). */
export const timeoutSetting = `${configSection}.timeoutSeconds`;

/** Logs the detail and describes the error for a surface; cancellation is logged, not reported. */
export function logError(error: unknown, log: Log, context: ReportContext): ReturnType<typeof describeError> {
  const description = describeError(error, { action: context.action, canTryAgain: context.tryAgain !== undefined, timeoutSetting });
  if (description.kind === 'cancelled') {
    log.info('Generation cancelled by the user; nothing was saved.');
    return description;
  }
  const detail =
    error instanceof ImageApiError
      ? [
          `kind=${error.kind}`,
          error.status ? `status=${error.status}` : '',
          error.code ? `code=${error.code}` : '',
          error.param ? `param=${error.param}` : '',
          error.requestId ? `request id=${error.requestId}` : '',
          error.attempts ? `attempts=${error.attempts}` : '',
          error.mayBeCharged ? 'may be charged' : '',
          error.excerpt ? `body="${error.excerpt}"` : '',
        ]
          .filter(Boolean)
          .join(' ')
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  log.error(`${description.message} [${detail}]`);
  return description;
}

/**
 * One notification per error class with its actions (Set API Key, Open Settings, Show Log, and Try
 * Again when `context.tryAgain` is given). Resolves once the picked action has run.
 */
export async function showError(error: unknown, log: Log, context: ReportContext): Promise<void> {
  const description = logError(error, log, context);
  if (description.kind === 'cancelled') return;
  const labels = description.actions.map((action) => errorActionLabels[action]);
  const picked = await notify('error', description.message, labels);
  const action = description.actions.find((candidate) => errorActionLabels[candidate] === picked);
  if (action) await runErrorAction(action, context.tryAgain);
}
