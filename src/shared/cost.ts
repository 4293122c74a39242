/**
 * Cost vocabulary shared by every layer: token rates, the before-sending estimate and the formatting.
 * Pure arithmetic, so the Studio's webview can update its estimate on every keystroke without a round
 * trip. The rate table, the `gptImage.pricing` setting and the usage-based figure are in
 * src/core/pricing.ts, which re-exports everything here: callers import from there.
 */
import type { ImageOptions, UncheckedOptions } from './options';

/** US dollars per one million tokens. */
export interface TokenRates {
  readonly textInputPerMillion: number;
  readonly imageInputPerMillion: number;
  readonly imageOutputPerMillion: number;
}

/** What a generation costs or will cost, and how sure that figure is. */
export interface CostFigure {
  /** US dollars, finite and ≥ 0. */
  readonly usd: number;
  /**
   * `usage`: computed from the token counts the server reported. `estimate`: from the size, quality and
   * count (the server reported no usable usage, or nothing was sent yet). Shown with "≈ … (estimate)".
   */
  readonly basis: 'usage' | 'estimate';
}

/** What the estimate needs; the fields of a validated request or of the Studio's form. */
export interface EstimateOptions extends Pick<ImageOptions, 'size' | 'n'>, Partial<Pick<UncheckedOptions, 'quality'>> {
  /** Partial previews requested per image (streaming); each costs about {@link partialImageTokens}. */
  readonly partialImages?: number;
  /** Only its length is used (about four characters a token). */
  readonly prompt?: string;
}

/**
 * Output tokens of one 1024×1024 image by quality, for gpt-image-2: published as about $0.006 (low),
 * $0.053 (medium) and $0.211 (high) at $30 per million output tokens. Other sizes scale by pixel count.
 */
export const outputTokensPer1024Square: Readonly<Record<'low' | 'medium' | 'high', number>> = {
  low: 200,
  medium: 1767,
  high: 7033,
};

/** Output tokens a partial preview adds (OpenAI reports about 100 per partial image). */
export const partialImageTokens = 100;

/**
 * Quality `auto` is estimated as `high`, and size `auto` as 1536×1024 (the largest standard size):
 * the estimate feeds the confirmation threshold and the daily budget, which must not be talked past
 * by an optimistic guess. The figure after the generation (from `usage`) is the real one.
 */
export const autoQualityAssumed = 'high';
export const autoSizeAssumed = '1536x1024';

const squarePixels = 1024 * 1024;

/** Width × height of `WxH` (or of {@link autoSizeAssumed} for `auto`); 1024×1024 for anything unparsable. */
export function pixelCount(size: string): number {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size === 'auto' ? autoSizeAssumed : size.trim());
  if (!match) return squarePixels;
  const pixels = Number(match[1]) * Number(match[2]);
  return pixels > 0 ? pixels : squarePixels;
}

/**
 * The cost of a generation before it is sent: output tokens by quality, scaled by pixel count, times
 * n, plus the previews and the prompt's text tokens. Always `basis: 'estimate'`.
 */
export function estimateCost(options: EstimateOptions, rates: TokenRates): CostFigure {
  const quality = options.quality === 'low' || options.quality === 'medium' || options.quality === 'high'
    ? options.quality
    : autoQualityAssumed;
  const n = clampInteger(options.n, 1, 10);
  const partials = clampInteger(options.partialImages ?? 0, 0, 3);
  const perImage = outputTokensPer1024Square[quality] * (pixelCount(options.size) / squarePixels) + partials * partialImageTokens;
  const promptTokens = Math.ceil((options.prompt?.length ?? 0) / 4);
  const usd =
    (n * perImage * safeRate(rates.imageOutputPerMillion) + promptTokens * safeRate(rates.textInputPerMillion)) / 1_000_000;
  return { usd: Number.isFinite(usd) && usd >= 0 ? usd : 0, basis: 'estimate' };
}

/** The sum of several figures (n parallel streams, a day's spend); an estimate if any part is one. */
export function addCosts(figures: readonly CostFigure[]): CostFigure {
  let usd = 0;
  let basis: CostFigure['basis'] = 'usage';
  for (const figure of figures) {
    usd += figure.usd;
    if (figure.basis === 'estimate') basis = 'estimate';
  }
  return { usd, basis: figures.length === 0 ? 'estimate' : basis };
}

/**
 * `$0.21`, `$0.053` (three decimals under ten cents, so a low-quality image is not "$0.01"), `$12.40`,
 * `$1,234.00`; an estimate reads `≈ $0.21 (estimate)`. Non-finite or negative amounts read `$0.00`.
 */
export function formatCost(figure: CostFigure): string {
  const amount = formatUsd(figure.usd);
  return figure.basis === 'estimate' ? `≈ ${amount} (estimate)` : amount;
}

/** `$0.21`; see {@link formatCost}. */
export function formatUsd(usd: number): string {
  const value = Number.isFinite(usd) && usd > 0 ? usd : 0;
  const digits = value > 0 && value < 0.1 ? 3 : 2;
  // Grouping by hand: toLocaleString depends on the runtime's ICU data and locale.
  const [whole = '0', fraction = ''] = value.toFixed(digits).split('.');
  return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

/**
 * A balance, which unlike a cost can be below zero (an account in debt): `−$12.50`, not `$0.00`
 * (review #14: a negative balance read as "$0.00", hiding that the account is overdrawn).
 */
export function formatBalance(usd: number): string {
  return Number.isFinite(usd) && usd < 0 ? `−${formatUsd(-usd)}` : formatUsd(usd);
}

function clampInteger(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : min;
}

function safeRate(rate: number): number {
  return Number.isFinite(rate) && rate >= 0 ? rate : 0;
}
