/**
 * What a generation costs (issue #14). One module for every surface:
 *
 * - `pricingFor(model, overrides)` → the token rates for a model: the user's `gptImage.pricing` entry,
 *   else the built-in table, else gpt-image-2's rates marked `assumed`.
 * - `estimateCost(options, rates)` → before sending: size × quality × n (+ previews), `basis: 'estimate'`.
 * - `costFromUsage(usage, request, rates)` → after: from the server's `usage`, read defensively (relays
 *   send strings, negatives, NaN, 1e308, or nothing); falls back to the estimate when it is unusable.
 * - `formatCost(figure)` → `$0.21`, or `≈ $0.21 (estimate)`.
 * - `parsePricingSetting(value)` → validated overrides plus one sentence per rejected entry.
 *
 * Pure: no vscode, no I/O. The host reads `gptImage.pricing` from the user's settings only (see
 * src/common/costSettings.ts): a repository must not be able to set prices to 0 to skip the confirmation.
 */
import {
  type CostFigure,
  type EstimateOptions,
  estimateCost,
  type TokenRates,
} from '../shared/cost';

export {
  addCosts,
  autoQualityAssumed,
  autoSizeAssumed,
  type CostFigure,
  estimateCost,
  type EstimateOptions,
  formatBalance,
  formatCost,
  formatUsd,
  type TokenRates,
} from '../shared/cost';

export interface ModelPricing extends TokenRates {
  /** Where the rates come from, for the log and the README. */
  readonly source: string;
  /** When the source was read (ISO date). */
  readonly asOf: string;
}

export interface ResolvedPricing {
  readonly model: string;
  readonly rates: TokenRates;
  /** `built-in`: our table; `setting`: the user's gptImage.pricing; `assumed`: unknown model, gpt-image-2's rates. */
  readonly origin: 'built-in' | 'setting' | 'assumed';
  readonly source: string;
}

/**
 * OpenAI's list prices in USD per million tokens. WisGate and other gateways may charge differently:
 * the user overrides them with `gptImage.pricing`, and the balance change (when the gateway reports a
 * balance) shows the real charge.
 */
export const builtInPricing: Readonly<Record<string, ModelPricing>> = {
  // gpt-image-2: as quoted by the team reference (shared/reference/images-api.md, "Cost").
  'gpt-image-2': {
    textInputPerMillion: 5,
    imageInputPerMillion: 8,
    imageOutputPerMillion: 30,
    source: 'OpenAI list prices for gpt-image-2',
    asOf: '2026-12-02',
  },
  'gpt-image-1.5': {
    textInputPerMillion: 5,
    imageInputPerMillion: 8,
    imageOutputPerMillion: 32,
    source: 'OpenAI list prices for gpt-image-1.5 as last seen (not re-checked)',
    asOf: '2026-12-02',
  },
  'gpt-image-1': {
    textInputPerMillion: 5,
    imageInputPerMillion: 10,
    imageOutputPerMillion: 40,
    source: 'OpenAI list prices for gpt-image-1 as last seen (not re-checked)',
    asOf: '2026-12-02',
  },
  'gpt-image-1-mini': {
    textInputPerMillion: 2,
    imageInputPerMillion: 2.5,
    imageOutputPerMillion: 8,
    source: 'OpenAI list prices for gpt-image-1-mini as last seen (not re-checked)',
    asOf: '2026-12-02',
  },
};

const fallbackModel = 'gpt-image-2';

/** `gptImage.pricing` after validation: model id (or `*` for every other model) → rates. */
export type PricingOverrides = Readonly<Record<string, TokenRates>>;

/**
 * The rates for `model`: the user's entry for it, their `*` entry, the built-in table, or gpt-image-2's.
 * `setting` names the overrides' setting in `source` (the host passes `gptImage.pricing`).
 */
export function pricingFor(model: string, overrides: PricingOverrides = {}, setting = 'pricing'): ResolvedPricing {
  const own = Object.prototype.hasOwnProperty.call(overrides, model) ? overrides[model] : undefined;
  const wildcard = Object.prototype.hasOwnProperty.call(overrides, '*') ? overrides['*'] : undefined;
  const entry = own ?? wildcard;
  if (entry) return { model, rates: entry, origin: 'setting', source: `your ${setting} setting` };
  const builtIn = Object.prototype.hasOwnProperty.call(builtInPricing, model) ? builtInPricing[model] : undefined;
  if (builtIn) return { model, rates: builtIn, origin: 'built-in', source: `${builtIn.source}, ${builtIn.asOf}` };
  const assumed = builtInPricing[fallbackModel]!;
  return { model, rates: assumed, origin: 'assumed', source: `no prices known for this model: ${fallbackModel}'s assumed` };
}

/** Highest rate a setting may give, USD per million tokens: far above any real price, far below overflow. */
export const maxRatePerMillion = 10_000;
const maxOverrideEntries = 50;
const rateFields = ['textInputPerMillion', 'imageInputPerMillion', 'imageOutputPerMillion'] as const;
/** The setting's short field names (`textInput`) map to the rate fields; the long names are accepted too. */
const shortNames: Readonly<Record<string, (typeof rateFields)[number]>> = {
  textInput: 'textInputPerMillion',
  imageInput: 'imageInputPerMillion',
  imageOutput: 'imageOutputPerMillion',
};

/**
 * Validates `gptImage.pricing`: `{ "<model or *>": { "textInput": 5, "imageInput": 8, "imageOutput": 30 } }`
 * (USD per million tokens, 0–10,000). A missing field takes the built-in rate of that model (gpt-image-2's
 * for `*` and unknown models); an entry with any unusable field is dropped whole and named in `problems`
 * (never its value: settings text must not reach a notification unquoted). `setting` names it in them.
 */
export function parsePricingSetting(value: unknown, setting = 'pricing'): { overrides: PricingOverrides; problems: string[] } {
  const name = `The ${setting} setting`;
  const overrides: Record<string, TokenRates> = Object.create(null);
  const problems: string[] = [];
  if (value === undefined || value === null) return { overrides, problems };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { overrides, problems: [`${name} must be an object of model → rates; it is ignored.`] };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > maxOverrideEntries) problems.push(`${name} has more than ${maxOverrideEntries} entries; the rest are ignored.`);
  for (const [model, rates] of entries.slice(0, maxOverrideEntries)) {
    if (model.length === 0 || model.length > 100 || !/^[\w.:/*-]+$/.test(model)) {
      problems.push(`${name} has an entry whose model name is not a model id; it is ignored.`);
      continue;
    }
    const parsed = parseRates(rates, pricingFor(model === '*' ? fallbackModel : model).rates);
    if (parsed) overrides[model] = parsed;
    else {
      problems.push(
        `${name}'s entry "${model}" needs textInput, imageInput and imageOutput as numbers from 0 to ${maxRatePerMillion} (USD per million tokens); the built-in rates apply.`,
      );
    }
  }
  return { overrides, problems };
}

function parseRates(value: unknown, defaults: TokenRates): TokenRates | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const result: Record<(typeof rateFields)[number], number> = { ...pick(defaults) };
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const field = shortNames[key] ?? (rateFields as readonly string[]).find((name) => name === key);
    if (!field) return undefined;
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw > maxRatePerMillion) return undefined;
    result[field as (typeof rateFields)[number]] = raw;
  }
  return result;
}

function pick(rates: TokenRates): Record<(typeof rateFields)[number], number> {
  return {
    textInputPerMillion: rates.textInputPerMillion,
    imageInputPerMillion: rates.imageInputPerMillion,
    imageOutputPerMillion: rates.imageOutputPerMillion,
  };
}

/**
 * A token count above this in one answer is not believed: ten 3840×2160 high-quality images with
 * previews and a 32,000-character prompt come to under a million tokens.
 */
export const maxPlausibleTokens = 5_000_000;

/** Why a usage figure was not used, for the log; undefined when it was. */
export interface UsageCost extends CostFigure {
  readonly note?: string;
}

/**
 * The cost from the server's `usage` (`input_tokens_details.text_tokens` × text rate, `image_tokens` ×
 * image-input rate, `output_tokens` × image-output rate). Input without details counts as text (a
 * generation's input is its prompt) or as image input when `inputImages` is set (edits). `output_tokens`
 * missing but `total_tokens` present: the whole total is billed as output (the dearest reading). Counts
 * may be numbers or digit strings; 0 output tokens (placeholder usage from a relay), a negative, fractional, non-finite or implausible count (above
 * {@link maxPlausibleTokens}) makes the whole usage untrusted: the estimate is returned, with a `note`.
 */
export function costFromUsage(
  usage: unknown,
  request: EstimateOptions & { readonly inputImages?: boolean },
  rates: TokenRates,
): UsageCost {
  const fallback = (note: string): UsageCost => ({ ...estimateCost(request, rates), note });
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) return fallback('the server reported no usage');
  const record = usage as Record<string, unknown>;
  const details = typeof record.input_tokens_details === 'object' && record.input_tokens_details !== null
    ? (record.input_tokens_details as Record<string, unknown>)
    : undefined;
  const read = (raw: unknown): number | undefined | 'bad' => {
    if (raw === undefined || raw === null) return undefined;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d{1,12}\s*$/.test(raw) ? Number(raw) : NaN;
    return Number.isSafeInteger(n) && n >= 0 && n <= maxPlausibleTokens ? n : 'bad';
  };
  const counts = {
    input: read(record.input_tokens),
    output: read(record.output_tokens),
    total: read(record.total_tokens),
    text: read(details?.text_tokens),
    image: read(details?.image_tokens),
  };
  if (Object.values(counts).includes('bad')) return fallback('the server reported token counts that cannot be right');
  const { input, output, total, text, image } = counts as Record<keyof typeof counts, number | undefined>;
  const out = output ?? total;
  if (out === undefined) return fallback('the server reported no output tokens');
  // Every answer priced here carries an image, and an image has output tokens: 0 is a relay's
  // placeholder usage (believed, each image would cost $0.00 and the daily budget never refuse).
  if (out === 0) return fallback('the server reported 0 output tokens for an image');
  const inputRate = request.inputImages ? rates.imageInputPerMillion : rates.textInputPerMillion;
  let inputUsd: number;
  if (text !== undefined || image !== undefined) {
    inputUsd = (text ?? 0) * rates.textInputPerMillion + (image ?? 0) * rates.imageInputPerMillion;
    // Details that account for less than input_tokens: the rest at the input rate of this kind of request.
    const rest = Math.max(0, (input ?? 0) - (text ?? 0) - (image ?? 0));
    inputUsd += rest * inputRate;
  } else {
    inputUsd = (output === undefined ? 0 : (input ?? 0)) * inputRate;
  }
  const usd = (inputUsd + out * rates.imageOutputPerMillion) / 1_000_000;
  if (!Number.isFinite(usd) || usd < 0) return fallback('the usage could not be priced');
  return { usd, basis: 'usage' };
}
