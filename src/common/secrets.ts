import * as vscode from 'vscode';
import { validateApiKey } from '../core/apiKeyRules';
import { Disposable } from './dispose';

const secretKey = 'gptImage.apiKey';
/** The variable the seed's examples read the key from. */
export const apiKeyEnvVar = 'WISGATE_API_KEY';
export const apiKeyHelpUrl = 'https://wisgate.ai/models';

export type ApiKeySource = 'secretStorage' | 'environment';

/**
 * The API key lives only in SecretStorage (the OS keychain on desktop), with WISGATE_API_KEY as a
 * read-only fallback. It is never written to settings, logs, errors or a webview.
 */
export class ApiKeyStore extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
  }

  async get(): Promise<{ key: string; source: ApiKeySource } | undefined> {
    const stored = (await this.secrets.get(secretKey))?.trim();
    if (stored) return { key: stored, source: 'secretStorage' };
    const fromEnv = this.env[apiKeyEnvVar]?.trim();
    return fromEnv ? { key: fromEnv, source: 'environment' } : undefined;
  }

  async set(key: string): Promise<void> {
    await this.secrets.store(secretKey, key.trim());
    this.changed.fire();
  }

  async clear(): Promise<void> {
    await this.secrets.delete(secretKey);
    this.changed.fire();
  }

  async hasStored(): Promise<boolean> {
    return Boolean(await this.secrets.get(secretKey));
  }

  /**
   * Asks for a key in a password box and stores it. Resolves to the key, or undefined when dismissed.
   */
  async prompt(reason?: string): Promise<string | undefined> {
    const key = await this.ask(reason);
    if (key === undefined) return undefined;
    await this.set(key);
    return key;
  }

  /** The password box alone: the trimmed key, or undefined when dismissed. Stores nothing. */
  async ask(reason?: string): Promise<string | undefined> {
    const key = await vscode.window.showInputBox({
      title: 'GPT Image: Set API Key',
      prompt: `${reason ? reason + ' ' : ''}Paste your WisGate API key (get one at ${apiKeyHelpUrl}). It is kept in VS Code's secret storage.`,
      placeHolder: 'sk-…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => validateApiKey(value),
    });
    return key === undefined ? undefined : key.trim();
  }
}
