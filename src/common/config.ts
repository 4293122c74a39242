import * as vscode from 'vscode';
import { settingProblem } from '../core/noticeMessages';
import type { FolderField } from '../core/paths';
import { insertModes, settingDefaults, type InsertMode, type SettingKey } from './settingDefaults';
import type { UncheckedOptions } from '../shared/options';

/** The settings section; every setting key is `gptImage.<key>`. */
export const configSection = 'gptImage';

export { insertModes, type InsertMode } from './settingDefaults';

/**
 * Settings as read at use time. Request fields stay `unknown`-ish strings/numbers here: the core validator
 * checks them and names the setting in its message, so a bad value in settings.json gets a clear error.
 */
export interface GptImageConfig extends Omit<UncheckedOptions, 'n'> {
  readonly baseUrl: string;
  readonly model: string;
  /** gptImage.count: the request's `n`. */
  readonly count: number;
  readonly assetsFolder: string;
  readonly insertAfterGenerate: InsertMode;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /**
   * Settings whose values were unusable and replaced by their defaults, one sentence each naming the
   * setting. (The request fields are checked by the core validator instead, with the setting named.)
   */
  readonly problems: readonly string[];
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
} as const satisfies Readonly<Record<string, SettingKey>>;

/**
 * How messages name the assets folder when it came from the setting: `The setting gptImage.assetsFolder
 * ("../x") points outside the workspace folder…`. Core's default says only `The assets folder`, so every
 * host caller that resolves the setting's folder passes this.
 */
export const assetsFolderSetting: FolderField = { label: `The setting ${configSection}.${settingKeys.assetsFolder}`, param: 'assetsFolder' };

/** Maps a request field named by the validator to the setting a user would fix. */
export const settingForField: Readonly<Record<string, string>> = {
  model: 'gptImage.model',
  n: 'gptImage.count',
  size: 'gptImage.size',
  quality: 'gptImage.quality',
  outputFormat: 'gptImage.outputFormat',
  background: 'gptImage.background',
};

export function readConfig(resource?: vscode.Uri): GptImageConfig {
  // Resource-scoped settings may differ per workspace folder; the others are read without a resource.
  const config = vscode.workspace.getConfiguration(configSection, resource ?? null);
  const windowConfig = vscode.workspace.getConfiguration(configSection);
  const problems: string[] = [];
  const defaultInsertMode = settingDefaults.insertAfterGenerate;
  const rawInsertMode = config.get<unknown>(settingKeys.insertAfterGenerate, defaultInsertMode);
  const insertMode = parseInsertMode(rawInsertMode);
  if (!insertMode) {
    problems.push(
      settingProblem(`${configSection}.${settingKeys.insertAfterGenerate}`, rawInsertMode, defaultInsertMode, insertModes.join(', ')),
    );
  }
  const integer = (key: string, min: number, max: number, fallback: number): number => {
    const value = windowConfig.get<unknown>(key, fallback);
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    problems.push(settingProblem(`${configSection}.${key}`, value, fallback, `whole numbers ${min}–${max}`));
    return fallback;
  };
  return {
    baseUrl: userValue(windowConfig, settingKeys.baseUrl, settingDefaults.baseUrl),
    model: userValue(windowConfig, settingKeys.model, settingDefaults.model),
    size: String(config.get(settingKeys.size, settingDefaults.size)).trim(),
    quality: String(config.get(settingKeys.quality, settingDefaults.quality)),
    count: Number(config.get(settingKeys.count, settingDefaults.count)),
    outputFormat: String(config.get(settingKeys.outputFormat, settingDefaults.outputFormat)),
    background: String(config.get(settingKeys.background, settingDefaults.background)),
    assetsFolder: String(config.get(settingKeys.assetsFolder, settingDefaults.assetsFolder)),
    insertAfterGenerate: insertMode ?? defaultInsertMode,
    timeoutMs: 1000 * integer(settingKeys.timeoutSeconds, 10, 3600, settingDefaults.timeoutSeconds),
    maxRetries: lowestRetries(windowConfig, problems),
    problems,
  };
}

/**
 * gptImage.maxRetries: your user value (default 2), which a workspace's (or folder's) value can only
 * lower. Each retry may be a billed request, so a repository's `.vscode/settings.json` must not raise
 * it to 10 (issue #11 review); the same min rule as gptImage.dailyBudgetUsd.
 */
function lowestRetries(config: vscode.WorkspaceConfiguration, problems: string[]): number {
  const key = `${configSection}.${settingKeys.maxRetries}`;
  const valid = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 10;
  const inspected = config.inspect<unknown>(settingKeys.maxRetries);
  let retries = settingDefaults.maxRetries;
  const user = inspected?.globalValue;
  if (valid(user)) retries = user;
  else if (user !== undefined) problems.push(settingProblem(key, user, retries, 'whole numbers 0–10'));
  for (const value of [inspected?.workspaceValue, inspected?.workspaceFolderValue]) {
    if (value === undefined) continue;
    if (!valid(value)) problems.push(settingProblem(key, value, retries, 'whole numbers 0–10; a workspace can only lower it'));
    else retries = Math.min(retries, value);
  }
  return retries;
}

/** A known insert mode, or undefined for anything else a settings.json may hold. */
function parseInsertMode(value: unknown): InsertMode | undefined {
  switch (value) {
    case 'ask':
    case 'always':
    case 'never':
      return value;
    default:
      return undefined;
  }
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

export async function openSettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', `@ext:gpt-image-studio.gpt-image-studio`);
}
