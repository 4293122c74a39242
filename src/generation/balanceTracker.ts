import type { BalanceResult } from '../core/api/balance';
import type { ClientOptions } from '../core/api/client';
import type { Log } from '../common/log';

type BalanceEngine = typeof import('../core/engine');
type BalanceOptions = Pick<ClientOptions, 'baseUrl' | 'apiKey' | 'userAgent' | 'dispatcher' | 'logger'>;

/** The last balance the gateway reported, with when. */
export interface KnownBalance {
  readonly availableUsd: number;
  readonly tokenBalanceUsd?: number;
  readonly unlimited?: boolean;
  readonly at: number;
}

/**
 * WisGate's balance for the status-bar tooltip, the charge shown as a balance change, and the 403
 * explanation. A gateway without the endpoint (404, another shape) is remembered per base URL for the
 * session and never asked again: it degrades quietly to usage-based figures.
 */
export class BalanceTracker {
  private known: KnownBalance | undefined;
  private knownBase: string | undefined;
  private readonly unsupported = new Set<string>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly engine: () => BalanceEngine,
    private readonly log: Log,
  ) {}

  /** The last balance, when it belongs to `baseUrl` (a switched base URL makes it moot). */
  current(baseUrl?: string): KnownBalance | undefined {
    return baseUrl === undefined || baseUrl === this.knownBase ? this.known : undefined;
  }

  isUnsupported(baseUrl: string): boolean {
    return this.unsupported.has(baseUrl);
  }

  /** Asks the gateway (unless it has no balance endpoint); resolves to what it said. Never throws. */
  async refresh(options: BalanceOptions & { readonly baseUrl: string }): Promise<BalanceResult> {
    if (this.unsupported.has(options.baseUrl)) return { kind: 'unsupported', reason: 'the gateway has no balance endpoint' };
    let result: BalanceResult;
    try {
      result = await this.engine().fetchBalance(options);
    } catch (error) {
      result = { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
    }
    switch (result.kind) {
      case 'balance':
        this.known = { ...result, at: Date.now() };
        this.knownBase = options.baseUrl;
        break;
      case 'unsupported':
        this.log.info(`Balance: ${result.reason}; costs are shown from usage only.`);
        this.unsupported.add(options.baseUrl);
        if (this.knownBase === options.baseUrl) this.known = undefined;
        break;
      case 'rejected':
      case 'unavailable':
        break;
    }
    this.fire();
    return result;
  }

  /** Forgets everything (the key changed: its balance is another account's). */
  reset(): void {
    this.known = undefined;
    this.knownBase = undefined;
    this.unsupported.clear();
    this.fire();
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
