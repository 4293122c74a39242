import * as vscode from 'vscode';
import { parsePricingSetting, type PricingOverrides } from '../core/pricing';
import { plainText, quoteValue } from '../shared/plainText';
import { configSection } from './config';
import { settingDefaults, type SettingKey } from './settingDefaults';

/** Setting keys of the cost features (issue #14), relative to `gptImage`. */
export const costSettingKeys = {
  pricing: 'pricing',
  confirmAboveUsd: 'confirmAboveUsd',
  dailyBudgetUsd: 'dailyBudgetUsd',
  previewImages: 'previewImages',
} as const satisfies Readonly<Record<string, SettingKey>>;

/** `gptImage.pricing`, as messages and the cost's source name it. */
export const pricingSetting = `${configSection}.${costSettingKeys.pricing}`;

const defaultConfirmAboveUsd = settingDefaults.confirmAboveUsd;
const defaultPreviewImages = settingDefaults.previewImages;

export interface CostConfig {
  /** The user's `gptImage.pricing` (user settings only). */
  readonly pricing: PricingOverrides;
  /** Ask before a generation whose estimate is above this (USD). */
  readonly confirmAboveUsd: number;
  /** Refuse a generation that would take today's spend above this (USD); undefined = no budget. */
  readonly dailyBudgetUsd?: number;
  /** Where the budget came from, for the refusal message. */
  readonly budgetSource?: 'user' | 'workspace';
  /** Partial previews per streamed image, 0–3 (0 = no streaming). */
  readonly previewImages: number;
  readonly problems: readonly string[];
}

/**
 * Security (a repository's `.vscode/settings.json` is untrusted):
 * - `gptImage.pricing` is read from **user** settings only (and is `application`-scoped): a workspace
 *   setting every price to 0 would silence the confirmation and the budget.
 * - `confirmAboveUsd`, `dailyBudgetUsd` and `previewImages` take the **smallest** of the user's and the
 *   workspace's (and folder's) values: a workspace can only make them stricter (ask sooner, spend
 *   less, fewer billed previews), never raise your budget or skip a confirmation.
 */
export function readCostConfig(resource?: vscode.Uri): CostConfig {
  const config = vscode.workspace.getConfiguration(configSection, resource ?? null);
  const problems: string[] = [];
  const pricingValue = config.inspect<unknown>(costSettingKeys.pricing)?.globalValue;
  const pricing = parsePricingSetting(pricingValue, pricingSetting);
  problems.push(...pricing.problems);

  const confirm = strictest(
    config,
    costSettingKeys.confirmAboveUsd,
    (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
    problems,
    'a number of US dollars, 0 or more',
    defaultConfirmAboveUsd,
  );
  const budget = strictest(
    config,
    costSettingKeys.dailyBudgetUsd,
    (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
    problems,
    'a number of US dollars, 0 or more, or null for no budget',
  );
  const previews = strictest(
    config,
    costSettingKeys.previewImages,
    (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3,
    problems,
    'whole numbers 0–3',
    defaultPreviewImages,
  );
  return {
    pricing: pricing.overrides,
    confirmAboveUsd: confirm?.value ?? defaultConfirmAboveUsd,
    ...(budget && { dailyBudgetUsd: budget.value, budgetSource: budget.source }),
    previewImages: previews?.value ?? defaultPreviewImages,
    problems,
  };
}

/**
 * The smallest valid value among user, workspace and folder settings (null = not set); undefined when
 * none is set. An invalid value is reported and skipped. With `fallback`, the user's level is their
 * value or else the default: a workspace value above the default must not count as "the smallest set"
 * (a repository's `confirmAboveUsd: 1e9` would otherwise skip every confirmation for a user who never
 * set it, and `previewImages: 3` would triple the billed previews).
 */
function strictest(
  config: vscode.WorkspaceConfiguration,
  key: string,
  valid: (value: unknown) => boolean,
  problems: string[],
  allowed: string,
  fallback?: number,
): { value: number; source: 'user' | 'workspace' } | undefined {
  const inspected = config.inspect<unknown>(key);
  const user = inspected?.globalValue;
  const candidates: [unknown, 'user' | 'workspace'][] = [
    [user === undefined || user === null || !valid(user) ? fallback : user, 'user'],
    ...(user !== undefined && user !== null && !valid(user) ? [[user, 'user'] as [unknown, 'user']] : []),
    [inspected?.workspaceValue, 'workspace'],
    [inspected?.workspaceFolderValue, 'workspace'],
  ];
  let best: { value: number; source: 'user' | 'workspace' } | undefined;
  for (const [value, source] of candidates) {
    if (value === undefined || value === null) continue;
    if (!valid(value)) {
      problems.push(plainText(`${configSection}.${key} is ${quoteValue(value)}; it is ignored (allowed: ${allowed}).`));
      continue;
    }
    if (!best || (value as number) < best.value) best = { value: value as number, source };
  }
  return best;
}
