import { useState } from 'preact/hooks';
import { FREE_TEXT_MAX_CHARS } from '../../functions/core/text-bounds.js';
import { describe, get, post, seg } from './api.js';
import { usePoll } from './poll.js';
import { lacks, user } from './session.js';
import type { ExecutionSummary, ExecutionTimeline } from './types.js';
import { duration, ErrorBox, Page, rpoText, Status, StepTable, Timeline, when } from './ui.js';

/** The live view polls its execution this often while it runs (the README states the delay measured). */
export const EXECUTION_POLL_MS = 1000;

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED']);

/** One execution, live: the timeline, the RTO clock, the approval, Abort, and the outcome. */
export function ExecutionView({ app, id }: { app: string; id: string }) {
  const polled = usePoll(
    () => get<ExecutionTimeline>(`/apps/${seg(app)}/executions/${seg(id)}/timeline`),
    EXECUTION_POLL_MS,
    `${app}/${id}`,
    (t) => !FINAL.has(t.execution.status),
  );
  const t = polled.data;
  return (
    <Page title={`Execution ${id}`}>
      <ErrorBox error={polled.error} />
      {!t ? (
        polled.error ? null : (
          <p>Loading…</p>
        )
      ) : (
        <div data-fetched-at={polled.fetchedAt}>
          <Summary t={t} />
          <RtoClock t={t} />
          {t.execution.approval || t.execution.status === 'WAITING_APPROVAL' ? (
            <ApprovalPanel
              execution={t.execution}
              waitSeconds={t.approvalWaitSeconds}
              onDone={polled.refresh}
            />
          ) : null}
          {FINAL.has(t.execution.status) ? (
            <Outcome t={t} />
          ) : (
            <AbortPanel execution={t.execution} onDone={polled.refresh} />
          )}
          <h2>Timeline</h2>
          <p class="muted">
            Updated every {EXECUTION_POLL_MS / 1000} s while it runs; last read at control-plane time{' '}
            {when(t.now)}.
          </p>
          <Timeline timeline={t} />
          <StepTable timeline={t} />
        </div>
      )}
    </Page>
  );
}

function Summary({ t }: { t: ExecutionTimeline }) {
  const e = t.execution;
  return (
    <dl class="facts">
      <dt>App</dt>
      <dd>
        <a href={`#/history/${e.app}`}>{e.app}</a>
      </dd>
      <dt>Status</dt>
      <dd data-execution-status={e.status}>
        <Status value={e.status} />
      </dd>
      <dt>Move</dt>
      <dd>
        {e.from} → {e.to} ({e.mode}, {e.runbook})
      </dd>
      <dt>Requested by</dt>
      <dd>
        {e.requestedBy} ({e.trigger}) at {when(e.startedAt)}
      </dd>
      <dt>Reason</dt>
      <dd>{e.reason}</dd>
    </dl>
  );
}

/** The RTO clock against the objective: text and a meter, never colour alone. */
function RtoClock({ t }: { t: ExecutionTimeline }) {
  const objective = t.objectives.rtoSeconds;
  const rto = t.rtoSeconds;
  const over = rto !== null && rto > objective;
  const rpo =
    t.execution.rpoSeconds !== undefined
      ? ` · RPO ${rpoText(t.execution.rpoSeconds, t.execution.rpoLastSeenAt)} (objective ${duration(t.objectives.rpoSeconds)})`
      : t.rtoFinal
        ? ''
        : ' · RPO not known yet';
  return (
    <section class={`rto${over ? ' over' : ''}`} aria-label="RTO clock">
      {rto === null ? (
        <p>
          <span class="rto-figure">No RTO</span>: the execution ended {t.execution.status} after{' '}
          {duration(t.elapsedSeconds)} without recovering service in {t.execution.to}.{rpo}
        </p>
      ) : (
        <>
          <p>
            <span class="rto-figure" data-rto={rto}>
              RTO {t.rtoFinal ? '' : 'so far '}
              {duration(rto)}
            </span>{' '}
            of the {duration(objective)} objective{' '}
            {over ? '⚠ over the objective' : t.rtoFinal ? '✔ within the objective' : ''}
            {rpo}
          </p>
          <meter
            min={0}
            max={objective}
            high={objective * 0.8}
            optimum={0}
            value={Math.min(rto, objective)}
            aria-label="RTO against the objective"
          >
            {duration(rto)}
          </meter>
        </>
      )}
      <p class="muted">
        Elapsed {duration(t.elapsedSeconds)}; approval wait {duration(t.approvalWaitSeconds)} (not counted in
        the RTO).
      </p>
    </section>
  );
}

/** The approval, apart from the runbook's time: waiting, or who decided; approve or reject. */
export function ApprovalPanel({
  execution,
  waitSeconds,
  onDone,
}: {
  execution: ExecutionSummary;
  waitSeconds?: number;
  onDone: () => void;
}) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const [sending, setSending] = useState(false);
  const a = execution.approval;
  const waiting = execution.status === 'WAITING_APPROVAL' && !a?.decision;
  const lacking = lacks('approver');
  const own = user.value?.name === execution.requestedBy;
  const approveWhy =
    lacking ??
    (own
      ? `you requested this failover (${execution.requestedBy}): another approver must approve it`
      : undefined);
  const rejectWhy =
    lacking ?? (comment.trim() === '' ? 'a comment saying why is required to reject' : undefined);
  const idBase = `approval-${execution.id}`;
  const act = async (verb: 'approve' | 'reject') => {
    setSending(true);
    setError(undefined);
    try {
      await post(
        `/apps/${seg(execution.app)}/executions/${seg(execution.id)}/${verb}`,
        comment.trim() ? { comment: comment.trim() } : {},
      );
      setComment('');
      onDone();
    } catch (e: unknown) {
      setError(describe(e));
    } finally {
      setSending(false);
    }
  };
  return (
    <section class="approval" aria-labelledby={`${idBase}-title`}>
      <h2 id={`${idBase}-title`}>Approval</h2>
      {waiting ? (
        <p>
          <Status value="WAITING_APPROVAL" /> since {when(a?.requestedAt)}
          {waitSeconds !== undefined ? ` (${duration(waitSeconds)} so far)` : ''}: requested by{' '}
          <strong>{execution.requestedBy}</strong>. {execution.mode} failover {execution.from} →{' '}
          {execution.to}: {execution.reason}
        </p>
      ) : (
        <p>
          {a?.decision ? (
            <>
              <strong>{a.decision}</strong> by {a.decidedBy} at {when(a.decidedAt)}
            </>
          ) : (
            'not decided'
          )}
          {waitSeconds !== undefined ? ` · waited ${duration(waitSeconds)}` : ''}
        </p>
      )}
      {waiting ? (
        <>
          <label>
            Comment (required to reject)
            <input
              value={comment}
              onInput={(e) => setComment(e.currentTarget.value)}
              name="comment"
              maxLength={FREE_TEXT_MAX_CHARS}
            />
          </label>
          <div class="actions">
            <button
              type="button"
              disabled={!!approveWhy || sending}
              onClick={() => act('approve')}
              aria-describedby={`${idBase}-why`}
            >
              Approve
            </button>
            <button
              type="button"
              class="danger"
              disabled={!!rejectWhy || sending}
              onClick={() => act('reject')}
              aria-describedby={`${idBase}-why`}
            >
              Reject
            </button>
            <span id={`${idBase}-why`} class="why" data-why>
              {approveWhy ? `Approve: ${approveWhy}.` : ''}{' '}
              {rejectWhy && !lacking ? `Reject: ${rejectWhy}.` : ''}
            </span>
          </div>
        </>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}

function AbortPanel({ execution, onDone }: { execution: ExecutionSummary; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<string>();
  const lacking = lacks('operator');
  const why = lacking ?? (reason.trim() === '' ? 'give a reason to abort' : undefined);
  const abort = async (event: Event) => {
    event.preventDefault();
    if (why) return;
    setError(undefined);
    try {
      const answer = await post<{ actions: string[]; degraded: boolean }>(
        `/apps/${seg(execution.app)}/executions/${seg(execution.id)}/abort`,
        { reason: reason.trim() },
      );
      setResult(
        `Aborted. ${answer.actions.join('; ')}${answer.degraded ? ' The app is marked DEGRADED: check it.' : ''}`,
      );
      onDone();
    } catch (e: unknown) {
      setError(describe(e));
    }
  };
  return (
    <form class="abort" onSubmit={abort} aria-label="Abort this execution">
      <label>
        Abort reason
        <input
          name="abort-reason"
          maxLength={FREE_TEXT_MAX_CHARS}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
          aria-describedby="abort-why"
        />
      </label>
      <button type="submit" class="danger" disabled={!!why}>
        Abort
      </button>
      <span id="abort-why" class="muted">
        {why ? `Abort: ${why}. ` : ''}Steps already taken stay taken: an abort undoes nothing.
      </span>
      {result ? <p role="status">{result}</p> : null}
      <ErrorBox error={error} />
    </form>
  );
}

function Outcome({ t }: { t: ExecutionTimeline }) {
  const e = t.execution;
  const failed = t.bars.filter((b) => b.error);
  return (
    <div class={`outcome outcome-${e.status.toLowerCase()}`} role="status">
      <h2>
        Outcome: <Status value={e.status} />
      </h2>
      <p>
        Finished at {when(e.finishedAt)}
        {e.rtoSeconds !== undefined ? ` · RTO ${duration(e.rtoSeconds)}` : ''}
        {e.rpoSeconds !== undefined ? ` · RPO ${rpoText(e.rpoSeconds, e.rpoLastSeenAt)}` : ''}
      </p>
      {e.error ? (
        <p class="step-error">
          <strong>{e.error.name}</strong>: {e.error.message}
        </p>
      ) : null}
      {failed.length > 0 ? (
        <ul>
          {failed.map((b) => (
            <li key={b.key} class="step-error">
              {b.key}: <strong>{b.error?.name}</strong>: {b.error?.message}
            </li>
          ))}
        </ul>
      ) : null}
      {e.live?.cause ? (
        <p class="muted">
          Step Functions: {e.live.error}: {e.live.cause}
        </p>
      ) : null}
    </div>
  );
}
