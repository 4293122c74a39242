import * as vscode from 'vscode';
import { configSection } from './commandIds';
import { defaultBaseUrl, defaultModel } from './core/types';

export const insertModes = ['ask', 'always', 'never'] as const;
export type InsertMode = (typeof insertModes)[number];

/**
 * Settings as read at use time. Request fields stay `unknown`-ish strings/numbers here: the core validator
 * checks them and names the setting in its message, so a bad value in settings.json gets a clear error.
 */
export interface GptImageConfig {
  readonly baseUrl: string;
  readonly model: string;
  readonly size: string;
  readonly quality: string;
  readonly count: number;
  readonly outputFormat: string;
  readonly background: string;
  readonly assetsFolder: string;
  readonly insertAfterGenerate: InsertMode;
  readonly timeoutMs: number;
  readonly maxRetries: number;
}

/** Setting keys, relative to the `gptImage` section. */
export const settingKeys = {
  baseUrl: 'baseUrl',
  model: 'model',
  size: 'size',
  quality: 'quality',
  count: 'count',
  outputFormat: 'outputFormat',
  background: 'background',
  assetsFolder: 'assetsFolder',
  insertAfterGenerate: 'insertAfterGenerate',
  timeoutSeconds: 'timeoutSeconds',
  maxRetries: 'maxRetries',
} as const;

/** Maps a request field named by the validator to the setting a user would fix. */
export const settingForField: Readonly<Record<string, string>> = {
  model: 'gptImage.model',
  n: 'gptImage.count',
  size: 'gptImage.size',
  quality: 'gptImage.quality',
  outputFormat: 'gptImage.outputFormat',
  output_format: 'gptImage.outputFormat',
  background: 'gptImage.background',
  assetsFolder: 'gptImage.assetsFolder',
  baseUrl: 'gptImage.baseUrl',
};

export function readConfig(resource?: vscode.Uri): GptImageConfig {
  // Resource-scoped settings may differ per workspace folder; the others are read without a resource.
  const config = vscode.workspace.getConfiguration(configSection, resource ?? null);
  const windowConfig = vscode.workspace.getConfiguration(configSection);
  return {
    baseUrl: userValue(windowConfig, settingKeys.baseUrl, defaultBaseUrl),
    model: userValue(windowConfig, settingKeys.model, defaultModel),
    size: String(config.get(settingKeys.size, '1024x1024')).trim(),
    quality: String(config.get(settingKeys.quality, 'auto')),
    count: Number(config.get(settingKeys.count, 1)),
    outputFormat: String(config.get(settingKeys.outputFormat, 'png')),
    background: String(config.get(settingKeys.background, 'auto')),
    assetsFolder: String(config.get(settingKeys.assetsFolder, 'assets')),
    insertAfterGenerate: oneOf(config.get(settingKeys.insertAfterGenerate), insertModes, 'ask'),
    timeoutMs: 1000 * clampInteger(windowConfig.get(settingKeys.timeoutSeconds), 10, 3600, 600),
    maxRetries: clampInteger(windowConfig.get(settingKeys.maxRetries), 0, 10, 2),
  };
}

/**
 * Security: the base URL (and the model) decide where the API key is sent, so only the user's own
 * settings count. A repository's .vscode/settings.json could otherwise point the key at any host. The
 * manifest declares them `application`-scoped too; this is the belt to that pair of braces.
 */
function userValue(config: vscode.WorkspaceConfiguration, key: string, fallback: string): string {
  const value = config.inspect<string>(key)?.globalValue;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function clampInteger(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}

export async function openSettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', `@ext:gpt-image-studio.gpt-image-studio`);
}
