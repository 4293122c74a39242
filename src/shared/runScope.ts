/**
 * The webview's view of generation runs, DOM-free so plain mocha tests it: which runs this page asked
 * for or was told about, which are going, and which host messages concern it. A message of a run the
 * page does not know (an older page's, or a forged id) is ignored, so it can never end, restart or
 * tick the run on screen.
 */
import { runIdOf, type RunId, type RunningRun, type ToWebview } from './protocol';

export class KnownRuns {
  /** Asked for with `generate`, not yet answered. */
  private readonly requested = new Set<RunId>();
  /** Started (or reported by `init`) and not yet ended, in start order. */
  private readonly going = new Set<RunId>();

  /** Records a run this page is asking the host for. */
  request(runId: RunId): void {
    this.requested.add(runId);
  }

  /** `init` tells a reloaded page which runs are going; they replace whatever it thought. */
  adopt(running: readonly RunningRun[]): void {
    this.going.clear();
    for (const run of running) this.going.add(run.runId);
  }

  /** Messages about no run always concern the page; run messages only when the run is known. */
  concerns(message: ToWebview): boolean {
    const runId = runIdOf(message);
    return runId === undefined || this.requested.has(runId) || this.going.has(runId);
  }

  /** Follows a message that concerns the page: `started` makes its run going; an end removes it. */
  note(message: ToWebview): void {
    const runId = runIdOf(message);
    if (runId === undefined) return;
    switch (message.type) {
      case 'started':
        this.requested.delete(runId);
        this.going.add(runId);
        return;
      case 'progress':
      case 'preview':
        return;
      default:
        // result, stopped, and the error that ended the run
        this.requested.delete(runId);
        this.going.delete(runId);
    }
  }

  isGoing(runId: RunId): boolean {
    return this.going.has(runId);
  }

  /** The runs going, oldest first (what Cancel cancels). */
  goingIds(): RunId[] {
    return [...this.going];
  }

  isAnyGoing(): boolean {
    return this.going.size > 0;
  }
}
