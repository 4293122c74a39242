import type { OutcomeMessage, RunId, RunningRun } from '../shared/protocol';

/**
 * The Studio panel's generation runs and the outcomes its webview has not received. vscode-free, so
 * plain mocha tests it (test/unit/studioRuns.test.ts).
 *
 * Security: run ids come from the webview, which is untrusted. An id is only ever compared with the
 * ids of this panel's own runs; it is accepted once (a repeat of an active or earlier id is refused, so
 * two runs never share an id and a late `cancel` cannot reach a newer run), and the set of ids seen is
 * bounded. Cancelling an id that is not running does nothing.
 */

/** Runs at a time. The protocol allows more; the Studio's form shows one run. */
export const maxParallelRuns = 1;
/** Ids remembered to refuse repeats: more than one session's generations, bounded against a flood. */
export const rememberedRunIds = 1000;
/** Outcomes kept for a hidden webview; older ones are dropped first (the gallery holds every result). */
export const maxMissed = 20;

export interface ActiveRun {
  readonly runId: RunId;
  readonly prompt: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** Aborted by cancel(), by dispose(), or never. */
  readonly signal: AbortSignal;
}

/** Why a run cannot start: its id was seen before (dropped), or another run is going (answered). */
export type RunRefusal = 'repeatedId' | 'busy';

interface Entry {
  readonly run: ActiveRun;
  readonly controller: AbortController;
  readonly timer: ReturnType<typeof setInterval>;
}

export class StudioRuns {
  private readonly active = new Map<RunId, Entry>();
  private readonly seen = new Set<RunId>();
  private missed: OutcomeMessage[] = [];
  private disposed = false;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Starts run `runId`, calling `tick(elapsedSeconds)` every second until finish(). Returns the refusal
   * instead when the id was seen before or `maxParallelRuns` are going (the id then counts as seen).
   */
  start(runId: RunId, prompt: string, tick: (elapsedSeconds: number) => void): ActiveRun | RunRefusal {
    if (this.seen.has(runId)) return 'repeatedId';
    this.remember(runId);
    if (this.disposed || this.active.size >= maxParallelRuns) return 'busy';
    const controller = new AbortController();
    const run: ActiveRun = { runId, prompt, startedAt: this.now(), signal: controller.signal };
    const timer = setInterval(() => tick(this.elapsedSeconds(run)), 1000);
    this.active.set(runId, { run, controller, timer });
    return run;
  }

  /** Aborts the run; false when no run of that id is going (ended meanwhile, or never ours). */
  cancel(runId: RunId): boolean {
    const entry = this.active.get(runId);
    if (!entry) return false;
    entry.controller.abort();
    return true;
  }

  /** Ends the run's bookkeeping (its timer stops); a finished or unknown id is a no-op. */
  finish(runId: RunId): void {
    const entry = this.active.get(runId);
    if (!entry) return;
    clearInterval(entry.timer);
    this.active.delete(runId);
  }

  /** Runs still going, oldest first, as `init` reports them. */
  running(): RunningRun[] {
    return [...this.active.values()].map(({ run }) => ({
      runId: run.runId,
      prompt: run.prompt,
      elapsedSeconds: this.elapsedSeconds(run),
    }));
  }

  /** Keeps an outcome the webview could not receive, for the next `init`. */
  keepMissed(message: OutcomeMessage): void {
    this.missed.push(message);
    if (this.missed.length > maxMissed) this.missed = this.missed.slice(-maxMissed);
  }

  /** The outcomes kept since the last call, oldest first; the list is emptied. */
  takeMissed(): OutcomeMessage[] {
    const missed = this.missed;
    this.missed = [];
    return missed;
  }

  /** Aborts every run and stops its timer; later runs are refused. */
  dispose(): void {
    this.disposed = true;
    for (const [runId, entry] of this.active) {
      entry.controller.abort();
      this.finish(runId);
    }
    this.missed = [];
  }

  private elapsedSeconds(run: ActiveRun): number {
    return Math.max(0, Math.floor((this.now() - run.startedAt) / 1000));
  }

  private remember(runId: RunId): void {
    this.seen.add(runId);
    // A Set iterates in insertion order: the first value is the oldest id.
    if (this.seen.size > rememberedRunIds) {
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}
