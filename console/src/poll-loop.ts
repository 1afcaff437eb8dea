// The polling loop of the console's live pages, apart from Preact (poll.ts wraps it in a hook), so
// that a test runs it with timers it controls.

/**
 * Whether a read that failed with `error` is worth asking again on the next tick: not when the
 * API answered 404 (the execution, drill or app does not exist: asking every second changes
 * nothing), yes for anything that may pass (a 503, a network error, a 401 before signing in).
 */
export function pollsAgainAfter(error: unknown): boolean {
  // An ApiError (api.ts) carries the answer's status; read it structurally, as nothing else does.
  const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
  return status !== 404;
}

/** What {@link startPoll} reports to, and the timers it runs on (the browser's by default). */
export interface PollHandlers<T> {
  readonly onData: (data: T) => void;
  readonly onError: (error: unknown) => void;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/**
 * Calls `load` now and then again `intervalMs` (real milliseconds) after each answer, never two at
 * once, until `stop()` is called, `keepGoing` says the data is final, or a failure is one that
 * {@link pollsAgainAfter} says asking again will not change (a 404). `kick()` reads again at once
 * (and polls on from there).
 */
export function startPoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  keepGoing: (data: T) => boolean,
  handlers: PollHandlers<T>,
): { stop: () => void; kick: () => void } {
  const setTimer = handlers.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = handlers.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  let stopped = false;
  let timer: unknown;
  const run = async () => {
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
    let again = true;
    try {
      const data = await load();
      if (stopped) return;
      handlers.onData(data);
      again = keepGoing(data);
    } catch (error: unknown) {
      if (stopped) return;
      handlers.onError(error);
      again = pollsAgainAfter(error);
    }
    if (!stopped && again) timer = setTimer(() => void run(), intervalMs);
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimer(timer);
    },
    kick: () => void run(),
  };
}
