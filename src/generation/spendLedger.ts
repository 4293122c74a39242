import type * as vscode from 'vscode';

/** What is stored in globalState: one local day and what was spent on it. */
interface StoredDay {
  readonly day: string;
  readonly usd: number;
}

const stateKey = 'gptImage.spendToday';
/** A stored total above this is a corrupted state, not a day's spend. */
const maxStoredUsd = 1e7;

/** `2026-12-02` in the machine's time zone: the budget is per local day, as a user counts days. */
export function localDay(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * Today's spend across every window (globalState, so a budget cannot be dodged by opening another
 * workspace) and this session's, plus what running generations are expected to cost (reservations,
 * so two parallel generations cannot both fit under the same remaining budget). Only the Memento is
 * needed, which keeps this testable in plain mocha.
 */
export class SpendLedger {
  private sessionUsd = 0;
  private readonly reserved = new Map<number, number>();
  private nextReservation = 1;
  private queue: Promise<void> = Promise.resolve();
  /**
   * Recorded amounts whose state write has not finished, per local day. Counted by today() at once:
   * a generation releases its reservation when it records, and a check in between must not see
   * neither (the write is queued behind others and awaits the disk). Until the write resolves the
   * amount may be counted twice, which errs on the side of the budget.
   */
  private readonly unwritten = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly memento: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Spent today (local day), as recorded; a stored value of another day counts as 0. */
  today(): number {
    const day = localDay(this.now());
    const stored = this.memento.get<unknown>(stateKey);
    const written = isStoredDay(stored) && stored.day === day ? stored.usd : 0;
    return written + (this.unwritten.get(day) ?? 0);
  }

  session(): number {
    return this.sessionUsd;
  }

  /** What running generations are expected to cost, together. */
  pending(): number {
    let sum = 0;
    for (const usd of this.reserved.values()) sum += usd;
    return sum;
  }

  /** Holds `usd` against the budget until the returned release is called (after recording or failing). */
  reserve(usd: number): () => void {
    const id = this.nextReservation++;
    this.reserved.set(id, sanitize(usd));
    return () => {
      this.reserved.delete(id);
    };
  }

  /** Adds a finished generation's cost to today and this session. Writes are queued, so none is lost. */
  record(usd: number): Promise<void> {
    const amount = sanitize(usd);
    this.sessionUsd += amount;
    // The day it was spent on, not the day the queued write runs.
    const day = localDay(this.now());
    this.unwritten.set(day, (this.unwritten.get(day) ?? 0) + amount);
    const write = this.queue
      .then(() => {
        const stored = this.memento.get<unknown>(stateKey);
        const before = isStoredDay(stored) && stored.day === day ? stored.usd : 0;
        // A write for a day already past must not replace the new day's total.
        if (isStoredDay(stored) && stored.day > day) return;
        return this.memento.update(stateKey, { day, usd: Math.min(before + amount, maxStoredUsd) } satisfies StoredDay);
      })
      .finally(() => {
        const left = (this.unwritten.get(day) ?? 0) - amount;
        if (left > 1e-12) this.unwritten.set(day, left);
        else this.unwritten.delete(day);
      });
    this.queue = write.catch(() => undefined);
    return write.finally(() => this.fire());
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function sanitize(usd: number): number {
  return Number.isFinite(usd) && usd > 0 ? Math.min(usd, maxStoredUsd) : 0;
}

function isStoredDay(value: unknown): value is StoredDay {
  if (typeof value !== 'object' || value === null) return false;
  const { day, usd } = value as Record<string, unknown>;
  return typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) && typeof usd === 'number' && Number.isFinite(usd) && usd >= 0 && usd <= maxStoredUsd;
}
