import * as vscode from 'vscode';
import { commandIds } from '../common/ids';
import { notify } from '../common/notify';
import type { Log } from '../common/log';
import { secretStorageFailure, type SecretStorageStep } from '../common/secretErrors';
import { apiKeyEnvVar, type ApiKeyStore } from '../common/secrets';
import type { BalanceResult } from '../core/api/balance';
import { formatBalance, formatUsd } from '../core/pricing';

/** The balance check Set API Key runs; the GenerationService's, injectable for tests. */
export type KeyCheck = () => Promise<BalanceResult | undefined>;

/**
 * Saves the key first (a gateway without a balance endpoint must never stop you from setting it), then
 * checks it for free with `GET {base}/users/me/balance`: "Key works — balance $X", a clear failure
 * for 401/403, and the plain "saved" message when the gateway cannot tell.
 */
export async function setApiKeyCommand(keys: ApiKeyStore, log: Log, check?: KeyCheck): Promise<void> {
  const key = await keys.ask();
  if (!key) return;
  try {
    await keys.set(key);
  } catch (error) {
    await reportSecretFailure('save', error, log, key);
    return;
  }
  const result = check ? await check().catch(() => undefined) : undefined;
  const [severity, message, actions] = keyCheckMessage(result);
  void notify(severity, message, actions).then((picked) => {
    if (picked) void vscode.commands.executeCommand(commandIds.setApiKey);
  });
}

export function keyCheckMessage(result: BalanceResult | undefined): ['info' | 'warning', string, string[]] {
  switch (result?.kind) {
    case 'balance': {
      const limit = result.unlimited ? '' : result.tokenBalanceUsd !== undefined ? `, this key may spend ${formatUsd(result.tokenBalanceUsd)}` : '';
      return ['info', `GPT Image: API key saved in secret storage. Key works — balance ${formatBalance(result.availableUsd)}${limit}.`, []];
    }
    case 'rejected':
      return [
        'warning',
        `GPT Image: API key saved in secret storage, but the gateway rejected it (${result.status || 'not sent'}): ${result.reason}. Check the key, or set it again.`,
        ['Set API Key'],
      ];
    default:
      // 404 or another shape (no balance endpoint), or the gateway could not be reached: not the key's fault.
      return ['info', 'GPT Image: API key saved in secret storage.', []];
  }
}

/** Secret storage threw (keychain locked, keyring missing): the step and Show Log; the log the reason, never the key. */
async function reportSecretFailure(step: SecretStorageStep, error: unknown, log: Log, key?: string): Promise<void> {
  const { message, logLine } = secretStorageFailure(step, error, key);
  log.error(logLine);
  if ((await notify('error', message, ['Show Log'])) === 'Show Log') await vscode.commands.executeCommand(commandIds.showLog);
}

export async function clearApiKeyCommand(keys: ApiKeyStore, log: Log): Promise<void> {
  let stored: boolean;
  try {
    stored = await keys.hasStored();
  } catch (error) {
    await reportSecretFailure('read', error, log);
    return;
  }
  if (!stored) {
    void notify('info', 'GPT Image: no API key is stored.');
    return;
  }
  const choice = await notify('warning', 'Remove the stored GPT Image API key from secret storage?', ['Clear API Key'], {
    modal: true,
  });
  if (choice !== 'Clear API Key') return;
  try {
    await keys.clear();
  } catch (error) {
    await reportSecretFailure('remove', error, log);
    return;
  }
  const stillFromEnv = Boolean(process.env[apiKeyEnvVar]?.trim());
  void notify(
    'info',
    stillFromEnv
      ? `GPT Image: API key removed. The ${apiKeyEnvVar} environment variable will still be used.`
      : 'GPT Image: API key removed.',
  );
}
