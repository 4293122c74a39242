import * as assert from 'node:assert/strict';
import { localDay, SpendLedger } from '../../src/generation/spendLedger';

class MemoryMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.values.set(key, value);
  }
}

suite('spend ledger: today and this session', () => {
  test('records add up per local day and session; a new day starts at 0', async () => {
    let now = new Date(2026, 11, 2, 23, 59);
    const memento = new MemoryMemento();
    const ledger = new SpendLedger(memento, () => now);
    await Promise.all([ledger.record(0.2), ledger.record(0.05), ledger.record(0.01)]);
    assert.ok(Math.abs(ledger.today() - 0.26) < 1e-9, 'concurrent records are all kept');
    now = new Date(2026, 11, 3, 0, 1);
    assert.equal(ledger.today(), 0);
    await ledger.record(0.1);
    assert.ok(Math.abs(ledger.today() - 0.1) < 1e-9);
    assert.ok(Math.abs(ledger.session() - 0.36) < 1e-9);
    assert.equal(localDay(now), '2026-12-03');
    assert.ok(Math.abs(new SpendLedger(memento, () => now).today() - 0.1) < 1e-9, 'another window sees the same day');
  });

  test('hostile amounts and stored state are not believed', async () => {
    const memento = new MemoryMemento();
    const ledger = new SpendLedger(memento);
    for (const bad of [Number.NaN, -5, Infinity]) await ledger.record(bad);
    assert.equal(ledger.today(), 0);
    memento.values.set('gptImage.spendToday', { day: localDay(new Date()), usd: -3 });
    assert.equal(ledger.today(), 0);
    memento.values.set('gptImage.spendToday', { day: localDay(new Date()), usd: 'lots' });
    assert.equal(ledger.today(), 0);
    await ledger.record(1e308);
    assert.equal(ledger.today(), 1e7, 'capped');
  });

  test('review #14: a cost counts from the moment it is recorded, not once the queued write has finished', async () => {
    // A generation releases its reservation and records its cost; a budget check in between must
    // not see neither (the write is queued behind others and awaits the state's disk write).
    const memento = new MemoryMemento();
    const ledger = new SpendLedger(memento);
    const release = ledger.reserve(0.4);
    release();
    const written = ledger.record(0.4);
    assert.ok(ledger.today() >= 0.4 - 1e-9, `today ${ledger.today()} right after record`);
    await written;
    assert.ok(Math.abs(ledger.today() - 0.4) < 1e-9, 'counted once after the write');
  });

  test('review #14: many large records stay capped instead of turning into an unreadable (= $0) state', async () => {
    const memento = new MemoryMemento();
    const ledger = new SpendLedger(memento);
    await ledger.record(9e6);
    await ledger.record(9e6);
    assert.equal(ledger.today(), 1e7, 'the day stays at the cap, not back at 0');
  });

  test('review #14: a write queued before midnight does not replace the new day once it has started', async () => {
    let now = new Date(2026, 11, 2, 23, 59, 59);
    const memento = new MemoryMemento();
    const ledger = new SpendLedger(memento, () => now);
    const late = ledger.record(0.3);
    now = new Date(2026, 11, 3, 0, 0, 1);
    await Promise.all([late, ledger.record(0.1)]);
    assert.ok(Math.abs(ledger.today() - 0.1) < 1e-9, `the new day holds its own spend (${ledger.today()})`);
  });

  test('reservations count until released; release twice is harmless', () => {
    const ledger = new SpendLedger(new MemoryMemento());
    const a = ledger.reserve(0.2);
    const b = ledger.reserve(0.3);
    assert.ok(Math.abs(ledger.pending() - 0.5) < 1e-9);
    a();
    a();
    assert.ok(Math.abs(ledger.pending() - 0.3) < 1e-9);
    b();
    assert.equal(ledger.pending(), 0);
  });

  test('listeners hear every record', async () => {
    const ledger = new SpendLedger(new MemoryMemento());
    let heard = 0;
    const subscription = ledger.onDidChange(() => heard++);
    await ledger.record(0.1);
    subscription.dispose();
    await ledger.record(0.1);
    assert.equal(heard, 1);
  });
});
