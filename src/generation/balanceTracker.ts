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
  /** The request on its way, shared by whoever asks the same gateway with the same key meanwhile. */
  private inFlight: { readonly baseUrl: string; readonly apiKey: string; readonly answer: Promise<BalanceResult> } | undefined;
  /** Counts resets: an answer to a request sent before the last reset is another key's, not kept. */
  private epoch = 0;
  /** Requests sent, and the number of the one whose balance is kept: a later-sent answer wins, not a later-arriving one. */
  private sent = 0;
  private knownSeq = 0;

  constructor(
    private readonly engine: () => BalanceEngine,
    private readonly log: Pick<Log, 'info'>,
    /**
     * The key in use now: an answer for another key is returned to its caller but not kept (a
     * generation that started with the old key asks its balance after the key changed).
     */
    private readonly currentKey?: () => Promise<string | undefined>,
  ) {}

  /** The last balance, when it belongs to `baseUrl` (a switched base URL makes it moot). */
  current(baseUrl?: string): KnownBalance | undefined {
    return baseUrl === undefined || baseUrl === this.knownBase ? this.known : undefined;
  }

  isUnsupported(baseUrl: string): boolean {
    return this.unsupported.has(baseUrl);
  }

  /**
   * Asks the gateway (unless it has no balance endpoint); resolves to what it said. Never throws.
   * `share`: a request for the same base URL and key already on its way answers this one too — Set API
   * Key's key check and the key-change refresh it sets off cost one request, not two. Off by default:
   * the balance after a generation must be asked after it, or the charge would read $0.
   */
  refresh(options: BalanceOptions & { readonly baseUrl: string }, { share = false }: { readonly share?: boolean } = {}): Promise<BalanceResult> {
    const pending = this.inFlight;
    if (share && pending && pending.baseUrl === options.baseUrl && pending.apiKey === options.apiKey) return pending.answer;
    const answer = this.ask(options);
    const entry = { baseUrl: options.baseUrl, apiKey: options.apiKey, answer };
    this.inFlight = entry;
    void answer.finally(() => {
      if (this.inFlight === entry) this.inFlight = undefined;
    });
    return answer;
  }

  private async ask(options: BalanceOptions & { readonly baseUrl: string }): Promise<BalanceResult> {
    if (this.unsupported.has(options.baseUrl)) return { kind: 'unsupported', reason: 'the gateway has no balance endpoint' };
    const epoch = this.epoch;
    const seq = ++this.sent;
    let result: BalanceResult;
    try {
      result = await this.engine().fetchBalance(options);
    } catch (error) {
      result = { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
    }
    const keyNow = this.currentKey ? await this.currentKey().catch(() => undefined) : options.apiKey;
    // The key changed meanwhile, or this answer is for a key no longer in use: not the current key's balance.
    if (epoch !== this.epoch || keyNow !== options.apiKey) return result;
    switch (result.kind) {
      case 'balance':
        if (seq < this.knownSeq) break; // an older request answered late: the balance kept is newer
        this.known = { ...result, at: Date.now() };
        this.knownBase = options.baseUrl;
        this.knownSeq = seq;
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
    this.epoch++;
    this.knownSeq = 0;
    this.inFlight = undefined;
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
