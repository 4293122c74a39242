/**
 * What VS Code's tool confirmation showed, kept from `prepareInvocation` to `invoke` (the host calls
 * both with the same input and no id in between): the time the names carry and the plan's fingerprint,
 * or why the input was refused. `invoke` runs only a call found here, so nothing is sent that the user
 * did not see. Bounded: at most {@link maxPending} calls, each for {@link pendingMs}.
 */
export type Confirmed = { readonly kind: 'plan'; readonly now: Date; readonly fingerprint: string } | { readonly kind: 'refused'; readonly text: string };

export const maxPending = 32;
export const pendingMs = 30 * 60_000;

export class ConfirmedCalls {
  private readonly pending: { key: string; at: number; confirmed: Confirmed }[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  remember(input: unknown, confirmed: Confirmed): void {
    this.expire();
    this.pending.push({ key: keyOf(input), at: this.clock(), confirmed });
    if (this.pending.length > maxPending) this.pending.shift();
  }

  /**
   * The newest call prepared with this input, removed: each confirmation runs at most once. Newest, because
   * a confirmation the user denied never reaches `invoke` and stays here: the same call allowed later must
   * run with what that later confirmation showed (its time stamp in the names), not the denied one's.
   */
  take(input: unknown): Confirmed | undefined {
    this.expire();
    const key = keyOf(input);
    for (let index = this.pending.length - 1; index >= 0; index--) {
      if (this.pending[index]?.key === key) return this.pending.splice(index, 1)[0]?.confirmed;
    }
    return undefined;
  }

  private expire(): void {
    const now = this.clock();
    while (this.pending[0] !== undefined && now - this.pending[0].at > pendingMs) this.pending.shift();
  }
}

/** The input as JSON with sorted keys: the same object serialized twice by the host gives one key. */
export function keyOf(input: unknown): string {
  return JSON.stringify(input, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  ) ?? 'undefined';
}
