/**
 * One deadline for one attempt: the request, its body and every image it links to (issue #9, part 2).
 * Its signal aborts when the time is up or when the caller's signal aborts; `timedOut` tells which.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  timedOut(): boolean;
  /** Milliseconds left, at least 1 (undici treats 0 as "no timeout"). */
  remainingMs(): number;
  dispose(): void;
}

export function startDeadline(timeoutMs: number, outer: AbortSignal | undefined): Deadline {
  const controller = new AbortController();
  const ends = Date.now() + timeoutMs;
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(new Error(`Timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timeoutMs,
    timedOut: () => fired,
    remainingMs: () => Math.max(1, ends - Date.now()),
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
