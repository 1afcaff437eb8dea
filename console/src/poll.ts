import { useEffect, useRef, useState } from 'preact/hooks';
import { describe } from './api.js';

/** What a polled read holds: the last answer, the last error, and when it was fetched. */
export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly fetchedAt: number | undefined;
  /** Fetch again now (after an action). */
  readonly refresh: () => void;
}

/**
 * Calls `load` now and then again `intervalMs` after each answer (never two at once), until the
 * component goes or `keepGoing` says the data is final. `key` restarts it.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  key: string,
  keepGoing: (data: T) => boolean = () => true,
): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; fetchedAt?: number }>({});
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({});
    const run = async () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      let again = true;
      try {
        const data = await load();
        if (stopped) return;
        setState({ data, fetchedAt: Date.now() });
        again = keepGoing(data);
      } catch (error: unknown) {
        if (stopped) return;
        setState((s) => ({ ...s, error: describe(error), fetchedAt: Date.now() }));
      }
      if (!stopped && again) timer = setTimeout(run, intervalMs);
    };
    kick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [key]);
  return { data: state.data, error: state.error, fetchedAt: state.fetchedAt, refresh: () => kick.current() };
}
