import * as vscode from 'vscode';
import { commandIds } from '../common/ids';
import { readCostConfig } from '../common/costSettings';
import { Disposable } from '../common/dispose';
import { formatBalance, formatUsd } from '../core/pricing';
import type { ApiKeyStore } from '../common/secrets';
import type { GenerationService } from './generationService';

/**
 * The status-bar item, and the balance kept current: asked once shortly after activation when a key
 * is stored (free, and off the activation path), and again whenever the key changes.
 */
export function registerSpendStatus(generation: GenerationService, keys: ApiKeyStore): vscode.Disposable {
  const bar = new SpendStatusBar(generation);
  const timer = setTimeout(() => void generation.refreshBalanceNow(), 3000);
  timer.unref?.();
  const keyChanged = keys.onDidChange(() => {
    generation.balance.reset();
    void generation.refreshBalanceNow();
  });
  return vscode.Disposable.from(bar, keyChanged, { dispose: () => clearTimeout(timer) });
}

/**
 * The running total in the status bar: `$(credit-card) $0.42 today`, tooltip with this session's
 * spend, the daily budget and the gateway's balance when it reports one; a click opens the Studio.
 * Plain-string tooltip (no Markdown): nothing here can become a link.
 */
export class SpendStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(private readonly generation: GenerationService) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('gptImage.spend', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'GPT Image spend';
    this.item.command = commandIds.openStudio;
    this._register(generation.spend.onDidChange(() => this.update()));
    this._register(generation.balance.onDidChange(() => this.update()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('gptImage')) this.update();
      }),
    );
    this.update();
    this.item.show();
  }

  /** The texts, separate for the tests and the README screenshot. */
  describe(): { text: string; tooltip: string; label: string } {
    const today = this.generation.spend.today();
    const session = this.generation.spend.session();
    const config = readCostConfig();
    const balance = this.generation.balance.current();
    const lines = [`GPT Image — spent today: ${formatUsd(today)}, this session: ${formatUsd(session)}`];
    if (config.dailyBudgetUsd !== undefined) {
      lines.push(`Daily budget: ${formatUsd(config.dailyBudgetUsd)} (${formatUsd(Math.max(0, config.dailyBudgetUsd - today))} left)`);
    }
    if (balance) {
      const token = balance.unlimited ? ', key quota unlimited' : balance.tokenBalanceUsd !== undefined ? `, this key may spend ${formatUsd(balance.tokenBalanceUsd)}` : '';
      lines.push(`Balance: ${formatBalance(balance.availableUsd)}${token} (as of ${new Date(balance.at).toLocaleTimeString()})`);
    }
    lines.push('Click to open the Image Studio.');
    const budget = config.dailyBudgetUsd !== undefined ? ` of ${formatUsd(config.dailyBudgetUsd)}` : '';
    return {
      text: `$(credit-card) ${formatUsd(today)}${budget} today`,
      tooltip: lines.join('\n'),
      label: `GPT Image spend today ${formatUsd(today)}${budget}, this session ${formatUsd(session)}. Opens the Image Studio.`,
    };
  }

  private update(): void {
    if (this.isDisposed) return;
    const { text, tooltip, label } = this.describe();
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label, role: 'button' };
  }
}
