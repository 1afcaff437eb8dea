import type { ComponentChildren } from 'preact';
import { duration } from './format.js';
import type { ExecutionTimeline, Lane, TimelineBar } from './types.js';

export { duration };

/** An ISO time as `2026-11-30 14:03:07Z`. */
export function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

/**
 * An execution's RPO as text: the figure and, when the replication lag metric had stopped before
 * the promotion (`rpoLastSeenAt`, ISO: the writer's region out), that the figure is the lag last
 * seen then, and when. A bare figure when the lag read was current.
 */
export function rpoText(rpoSeconds: number | null | undefined, rpoLastSeenAt?: string): string {
  const figure = duration(rpoSeconds);
  return rpoLastSeenAt ? `${figure} (lag last seen ${when(rpoLastSeenAt)}: the metric had stopped)` : figure;
}

/** A symbol and a word for every status, so that colour is never the only signal. */
const STATUS_MARK: Readonly<Record<string, string>> = {
  ACTIVE: '●',
  SUCCEEDED: '✔',
  PASSED: '✔',
  RUNNING: '▶',
  FAILING_OVER: '▶',
  WAITING_APPROVAL: '‖',
  FAILED: '✖',
  DEGRADED: '⚠',
  ABORTED: '■',
  SKIPPED: '–',
};

/** A status as a badge: symbol, text, and a colour class. */
export function Status({ value }: { value: string }) {
  return (
    <span class={`badge badge-${value.toLowerCase().replace(/_/g, '-')}`} data-status={value}>
      <span aria-hidden="true">{STATUS_MARK[value] ?? '•'}</span> {value.replace(/_/g, ' ')}
    </span>
  );
}

/** A refusal or failure, announced to screen readers. */
export function ErrorBox({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** A page's heading and body. */
export function Page({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{title}</h1>
        {actions}
      </div>
      {children}
    </section>
  );
}

const LANES: readonly { lane: Lane; label: string }[] = [
  { lane: 'control', label: 'Runbook' },
  { lane: 'database', label: 'Database' },
  { lane: 'capacity', label: 'Capacity' },
  { lane: 'traffic', label: 'Traffic' },
];

/**
 * The execution's steps as a Gantt-like chart: a lane each for the runbook's own steps, the
 * database, capacity and traffic, a row per step and resource, bars placed on a common time axis.
 * Each bar says its status and times in text too.
 */
export function Timeline({ timeline }: { timeline: ExecutionTimeline }) {
  const span = Math.max(
    timeline.elapsedSeconds,
    ...timeline.bars.map((b) => b.endSeconds ?? b.startSeconds),
    1,
  );
  const pct = (s: number) => `${Math.min(100, Math.max(0, (s / span) * 100)).toFixed(2)}%`;
  return (
    <section class="timeline" aria-label="Runbook timeline">
      <div class="axis" aria-hidden="true">
        <span>0 s</span>
        <span>{duration(span / 2)}</span>
        <span>{duration(span)}</span>
      </div>
      {LANES.map(({ lane, label }) => {
        const rows = rowsOf(timeline.bars.filter((b) => b.lane === lane));
        return (
          <div class={`lane lane-${lane}`} key={lane}>
            <h3 class="lane-label">{label}</h3>
            {rows.length === 0 ? (
              <p class="lane-empty">no step yet</p>
            ) : (
              <ul class="rows">
                {rows.map(([row, bars]) => (
                  <li class="row" key={row}>
                    <span class="row-label">{row}</span>
                    <span class="track">
                      {bars.map((bar) => {
                        const end = bar.endSeconds ?? timeline.elapsedSeconds;
                        const late = bar.startSeconds / span > 0.6;
                        return (
                          <span
                            key={bar.key}
                            class={`bar bar-${bar.status.toLowerCase()}${late ? ' bar-late' : ''}${bar.interrupted ? ' bar-interrupted' : ''}`}
                            data-step={bar.key}
                            data-status={bar.status}
                            style={{
                              left: pct(bar.startSeconds),
                              width: `max(0.6rem, ${pct(end - bar.startSeconds)})`,
                            }}
                            title={`${bar.key}: ${bar.status}, ${duration(bar.startSeconds)} → ${bar.endSeconds === null ? 'running' : duration(bar.endSeconds)}`}
                          >
                            <span class="bar-text">
                              {bar.status === 'RUNNING'
                                ? '▶'
                                : bar.status === 'SUCCEEDED'
                                  ? '✔'
                                  : bar.status === 'FAILED'
                                    ? '✖'
                                    : '–'}{' '}
                              {bar.interrupted ? 'interrupted' : bar.status.toLowerCase()}{' '}
                              {duration(end - bar.startSeconds)}
                            </span>
                          </span>
                        );
                      })}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </section>
  );
}

function rowsOf(bars: readonly TimelineBar[]): [string, TimelineBar[]][] {
  const rows = new Map<string, TimelineBar[]>();
  for (const bar of bars) {
    const row = bar.resource ? `${bar.name} · ${bar.resource}` : bar.name;
    rows.set(row, [...(rows.get(row) ?? []), bar]);
  }
  return [...rows.entries()];
}

/** The steps as a table: name, resource, status, times, and any error in full. */
export function StepTable({ timeline }: { timeline: ExecutionTimeline }) {
  return (
    <table class="steps">
      <caption>Steps</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Resource</th>
          <th scope="col">Status</th>
          <th scope="col">Start</th>
          <th scope="col">End</th>
          <th scope="col">Error or detail</th>
        </tr>
      </thead>
      <tbody>
        {timeline.bars.map((bar) => (
          <tr key={bar.key} data-step-row={bar.key}>
            <th scope="row">{bar.name}</th>
            <td>{bar.resource ?? '–'}</td>
            <td>
              <Status value={bar.status} />
            </td>
            <td>+{duration(bar.startSeconds)}</td>
            <td>
              {bar.endSeconds === null
                ? 'running'
                : `+${duration(bar.endSeconds)}${bar.interrupted ? ' (still running when the execution ended)' : ''}`}
            </td>
            <td class="wrap">
              {bar.error ? (
                <span class="step-error">
                  <strong>{bar.error.name}</strong>: {bar.error.message}
                </span>
              ) : bar.detail ? (
                <code>{JSON.stringify(bar.detail)}</code>
              ) : (
                ''
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
