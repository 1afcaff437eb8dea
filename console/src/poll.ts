import { useEffect, useRef, useState } from 'preact/hooks';
import { describe } from './api.js';
import { startPoll } from './poll-loop.js';

/** What a polled read holds: the last answer, the last error, and when it was fetched. */
export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly fetchedAt: number | undefined;
  /** Fetch again now (after an action). */
  readonly refresh: () => void;
}

/**
 * Polls `load` every `intervalMs` ({@link startPoll}) while the component is shown, until
 * `keepGoing` says the data is final or the API answers 404. `key` restarts it.
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
    setState({});
    const poll = startPoll(load, intervalMs, keepGoing, {
      onData: (data) => setState({ data, fetchedAt: Date.now() }),
      onError: (error) => setState((s) => ({ ...s, error: describe(error), fetchedAt: Date.now() })),
    });
    kick.current = poll.kick;
    return poll.stop;
  }, [key]);
  return { data: state.data, error: state.error, fetchedAt: state.fetchedAt, refresh: () => kick.current() };
}
