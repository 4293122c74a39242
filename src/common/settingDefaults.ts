/**
 * Every `gptImage.*` setting's default, once (key relative to the `gptImage` section): readConfig,
 * readCostConfig and readProvenanceSettings fall back to these, and test/unit/manifest.test.ts checks
 * that package.json's `contributes.configuration` declares exactly these keys with these defaults.
 * No `vscode` import, so plain mocha loads it.
 */
import { defaultBaseUrl } from '../core/types';
import { defaultModel, type ImageOptions } from '../shared/options';

export const insertModes = ['ask', 'always', 'never'] as const;
export type InsertMode = (typeof insertModes)[number];

interface SettingDefaults extends Omit<ImageOptions, 'n'> {
  readonly baseUrl: string;
  readonly model: string;
  /** The request's `n`. */
  readonly count: number;
  readonly assetsFolder: string;
  readonly insertAfterGenerate: InsertMode;
  readonly timeoutSeconds: number;
  readonly maxRetries: number;
  readonly confirmAboveUsd: number;
  /** null: no budget. */
  readonly dailyBudgetUsd: null;
  readonly pricing: Readonly<Record<string, never>>;
  readonly previewImages: number;
  readonly embedPrompt: boolean;
  readonly historyFile: boolean;
}

export const settingDefaults: SettingDefaults = {
  baseUrl: defaultBaseUrl,
  model: defaultModel,
  size: '1024x1024',
  quality: 'auto',
  count: 1,
  outputFormat: 'png',
  background: 'auto',
  assetsFolder: 'assets',
  // Insert at the cursor: the result of a long generation is seen without depending on a toast (issue #15).
  insertAfterGenerate: 'always',
  timeoutSeconds: 600,
  maxRetries: 2,
  confirmAboveUsd: 0.5,
  dailyBudgetUsd: null,
  pricing: {},
  previewImages: 1,
  embedPrompt: true,
  historyFile: false,
};

export type SettingKey = keyof SettingDefaults;
