import type * as vscode from 'vscode';
import { pricingSetting, readCostConfig, type CostConfig } from '../common/costSettings';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import { ImageApiError } from '../core/errors';
import { costFromUsage, formatCost, formatUsd, pricingFor, type CostFigure, type ResolvedPricing } from '../core/pricing';
import type { GenerationRequest, ImageUsage } from '../core/types';
import { estimateCost } from '../shared/cost';
import { plural } from '../shared/labels';
import type { BalanceTracker } from './balanceTracker';
import type { SpendLedger } from './spendLedger';

/** What a finished generation cost, as every surface shows it (history, notification, log, Studio, tools). */
export interface GenerationCost extends CostFigure {
  /** The balance drop the gateway reported across this generation, when it reports a balance. */
  readonly chargedUsd?: number;
}

/** One generation between its check and its record. */
export interface CostTicket {
  readonly estimate: CostFigure;
  readonly pricing: ResolvedPricing;
  readonly config: CostConfig;
  /** The balance when the generation started (known, or asked for in parallel with the request). */
  readonly balanceBefore: Promise<number | undefined>;
  readonly release: () => void;
}

/**
 * Before: estimate, refuse over the daily budget, ask above `confirmAboveUsd`. After: the cost from
 * usage (or the estimate), recorded in the day's spend, with the balance change when known.
 */
export class CostGuard {
  private running = 0;

  constructor(
    private readonly ledger: SpendLedger,
    private readonly balance: BalanceTracker,
    private readonly log: Log,
  ) {}

  /** The estimate of `request` as the Studio and the confirmation show it. */
  estimate(request: GenerationRequest, resource?: vscode.Uri, partialImages = 0): { figure: CostFigure; pricing: ResolvedPricing } {
    const config = readCostConfig(resource);
    const pricing = pricingFor(request.model, config.pricing, pricingSetting);
    return { figure: estimateCost({ ...request, partialImages, prompt: request.prompt }, pricing.rates), pricing };
  }

  /**
   * Throws ImageApiError('validation', param dailyBudgetUsd) when the estimate would pass the budget,
   * ImageApiError('cancelled') when the user declines the confirmation. The ticket's release must be
   * called once the generation ended (finish does it).
   */
  async check(
    request: GenerationRequest,
    options: {
      readonly resource?: vscode.Uri;
      readonly confirm: boolean;
      readonly partialImages: number;
      readonly baseUrl: string;
      /** Asks the gateway for the balance now; undefined when it has no balance endpoint. */
      readonly fetchBalance?: () => Promise<number | undefined>;
    },
  ): Promise<CostTicket> {
    const config = readCostConfig(options.resource);
    for (const problem of config.problems) this.log.warn(problem);
    const pricing = pricingFor(request.model, config.pricing, pricingSetting);
    const estimate = estimateCost({ ...request, partialImages: options.partialImages, prompt: request.prompt }, pricing.rates);
    this.refuseOverBudget(estimate, config);
    if (options.confirm && estimate.usd > config.confirmAboveUsd) {
      const what = `${plural(request.n, 'image')}, ${request.size}, ${request.quality ?? 'auto'} quality`;
      const picked = await notify('warning', `This generation will cost about ${formatUsd(estimate.usd)} (${what}). Generate?`, ['Generate'], {
        modal: true,
        detail: `An estimate from ${pricing.source}. You are asked above ${formatUsd(config.confirmAboveUsd)} (gptImage.confirmAboveUsd).`,
      });
      if (picked !== 'Generate') throw new ImageApiError('cancelled', 'Not generated: the cost was not confirmed. Nothing was sent.', { attempts: 0 });
      // Checked again: other generations may have started or finished while the question was open,
      // and the reservation below must be taken in the same turn as the check that allowed it.
      this.refuseOverBudget(estimate, config);
    }
    const release = this.ledger.reserve(estimate.usd);
    this.running++;
    let released = false;
    return {
      estimate,
      pricing,
      config,
      balanceBefore: this.balanceBefore(options.baseUrl, options.fetchBalance),
      release: () => {
        if (released) return;
        released = true;
        this.running--;
        release();
      },
    };
  }

  /** Throws ImageApiError('validation', param dailyBudgetUsd) when `estimate` does not fit today's budget. */
  private refuseOverBudget(estimate: CostFigure, config: CostConfig): void {
    const today = this.ledger.today();
    const pending = this.ledger.pending();
    if (config.dailyBudgetUsd !== undefined && today + pending + estimate.usd > config.dailyBudgetUsd) {
      const where = config.budgetSource === 'workspace' ? "this workspace's gptImage.dailyBudgetUsd" : 'gptImage.dailyBudgetUsd';
      const running = pending > 0 ? ` plus ${formatUsd(pending)} for generations still running` : '';
      throw new ImageApiError(
        'validation',
        `Not generated: this would cost ${formatCost(estimate)} and take today's spend past your daily budget of ` +
          `${formatUsd(config.dailyBudgetUsd)} (${where}). Spent today: ${formatUsd(today)}${running}. Nothing was sent`,
        { param: 'dailyBudgetUsd', attempts: 0 },
      );
    }
  }

  /**
   * A generation that broke off after the server answered 2xx was probably billed (issue #9): its
   * estimate counts toward today's spend, so the budget does not forget it.
   */
  async countIfProbablyBilled(error: unknown, ticket: CostTicket): Promise<void> {
    if (!(error instanceof ImageApiError) || (error.kind !== 'network' && error.kind !== 'timeout' && error.kind !== 'badResponse')) return;
    if (error.status === undefined || error.status < 200 || error.status >= 300) return;
    await this.ledger.record(ticket.estimate.usd).catch(() => undefined);
    this.log.warn(`Cost: ${formatCost(ticket.estimate)} counted toward today's spend: the answer broke off after ${error.status}, so it was probably billed.`);
  }

  /** Only when this is the only generation running: with others the balance also drops for theirs. */
  private balanceBefore(baseUrl: string, fetch: (() => Promise<number | undefined>) | undefined): Promise<number | undefined> {
    if (this.running !== 1 || !fetch) return Promise.resolve(undefined);
    const known = this.balance.current(baseUrl);
    // A balance seen in the last minute is the balance now; otherwise ask while the image is made.
    if (known && Date.now() - known.at < 60_000) return Promise.resolve(known.availableUsd);
    return fetch().catch(() => undefined);
  }

  /**
   * The cost of the finished generation from its usage (one per stream for parallel streams), recorded
   * in today's spend; the balance is refreshed and its drop reported as `chargedUsd` when this was the
   * only generation running (with others the drop is theirs too).
   */
  async finish(
    ticket: CostTicket,
    request: GenerationRequest,
    usages: readonly (ImageUsage | undefined)[],
    refreshBalance: (() => Promise<number | undefined>) | undefined,
    partialImages = 0,
  ): Promise<GenerationCost> {
    const alone = this.running === 1;
    ticket.release();
    const perStream = usages.length > 1 ? { ...request, n: 1 } : request;
    const figures = usages.map((usage) => costFromUsage(usage, { ...perStream, partialImages, prompt: request.prompt }, ticket.pricing.rates));
    const usd = figures.reduce((sum, figure) => sum + figure.usd, 0);
    const basis = figures.every((figure) => figure.basis === 'usage') ? 'usage' : 'estimate';
    const note = figures.find((figure) => figure.note)?.note;
    await this.ledger.record(usd).catch((error: unknown) => this.log.warn(`Spend: recording today's total failed: ${String(error)}`));
    let chargedUsd: number | undefined;
    if (refreshBalance) {
      // The result must not wait for a slow gateway: the balance is given 2 s, the status bar gets it later anyway.
      const after = await Promise.race([refreshBalance().catch(() => undefined), delay(2000)]);
      const before = await Promise.race([ticket.balanceBefore, delay(0)]);
      const drop = before !== undefined && after !== undefined ? before - after : undefined;
      if (alone && drop !== undefined && Number.isFinite(drop) && drop >= 0) chargedUsd = Math.round(drop * 1e6) / 1e6;
      if (after !== undefined) this.log.info(`Balance: ${formatUsd(after)}${chargedUsd !== undefined ? ` (charged ${formatUsd(chargedUsd)})` : ''}`);
    }
    const cost: GenerationCost = { usd, basis, ...(chargedUsd !== undefined && { chargedUsd }) };
    this.log.info(
      `Cost: ${formatCost(cost)}${basis === 'estimate' && note ? ` — ${note}` : ''} (rates: ${ticket.pricing.source}); ` +
        `today ${formatUsd(this.ledger.today())}, this session ${formatUsd(this.ledger.session())}`,
    );
    return cost;
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/** `$0.13`, `≈ $0.21 (estimate)`, `$0.13 (balance −$0.14)`: the figure every surface shows. */
export function describeCost(cost: GenerationCost): string {
  return cost.chargedUsd !== undefined ? `${formatCost(cost)} (balance −${formatUsd(cost.chargedUsd)})` : formatCost(cost);
}
