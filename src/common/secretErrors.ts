import { redact } from '../core/api/redact';

/** What the API key commands were doing with VS Code's secret storage when it failed. */
export type SecretStorageStep = 'save' | 'read' | 'remove';

const stepText: Record<SecretStorageStep, string> = {
  save: 'could not save the API key in secret storage',
  read: 'could not read secret storage',
  remove: 'could not remove the API key from secret storage',
};

/**
 * The notification and the log line for a secret storage failure (keychain locked, keyring missing,
 * storage unavailable). The user sees the step and an action; the log gets the reason. Neither ever
 * contains the key: the reason is redacted with it, since a keychain error may echo what it was given.
 */
export function secretStorageFailure(step: SecretStorageStep, error: unknown, key?: string): { message: string; logLine: string } {
  const reason = redact(error instanceof Error ? error.message : String(error), key?.trim() || undefined);
  return {
    message: `GPT Image: ${stepText[step]} (is the system keychain locked or unavailable?). Unlock it and try again; Show Log has the reason.`,
    logLine: `Secret storage: ${stepText[step]}: ${reason}`,
  };
}
