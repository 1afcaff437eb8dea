import { get, seg } from './api.js';
import { isSandbox } from './mode.js';
import { usePoll } from './poll.js';
import type { DrillEvidence, ExecutionTimeline, SandboxTruth } from './types.js';
import { duration, ErrorBox, Page, Status, StepTable, Timeline, when } from './ui.js';

/** A drill's evidence, laid out to print (to PDF) from the browser. */
export function Evidence({ app, id }: { app: string; id: string }) {
  const polled = usePoll(
    async () => {
      const evidence = await get<DrillEvidence>(`/apps/${seg(app)}/drills/${seg(id)}`);
      const timelines = await Promise.all(
        evidence.legs.map((leg) =>
          get<ExecutionTimeline>(`/apps/${seg(app)}/executions/${seg(leg.id)}/timeline`),
        ),
      );
      const truth = isSandbox() ? await get<SandboxTruth>('/sandbox/truth') : undefined;
      return { evidence, timelines, truth };
    },
    5000,
    `${app}/${id}`,
    () => false,
  );
  const d = polled.data;
  return (
    <Page
      title={`DR drill evidence: ${id}`}
      actions={
        <button type="button" class="no-print" onClick={() => window.print()}>
          Print or save as PDF
        </button>
      }
    >
      <ErrorBox error={polled.error} />
      {!d ? <p>Loading…</p> : <EvidenceBody {...d} />}
    </Page>
  );
}

function EvidenceBody({
  evidence,
  timelines,
  truth,
}: {
  evidence: DrillEvidence;
  timelines: ExecutionTimeline[];
  truth: SandboxTruth | undefined;
}) {
  const { report, plan } = evidence;
  const o = plan.objectives;
  const start = Date.parse(report.at);
  const end = Date.parse(report.detail?.finishedAt ?? evidence.now);
  const origin = truth ? Date.parse(truth.virtualTime) - truth.elapsedSeconds * 1000 : 0;
  const outages = (truth?.outages ?? []).filter(
    (x) => x.app === plan.name && origin + x.to * 1000 >= start && origin + x.from * 1000 <= end,
  );
  return (
    <div class="evidence">
      <dl class="facts">
        <dt>App</dt>
        <dd>
          {plan.name} ({plan.strategy}, regions {plan.regions.join(', ')})
        </dd>
        <dt>Plan version</dt>
        <dd>
          <code>{plan.digest}</code> (digest of the plan as loaded)
        </dd>
        <dt>Outcome</dt>
        <dd data-drill-outcome={report.outcome}>
          <Status value={report.outcome} />
        </dd>
        <dt>Drill</dt>
        <dd>
          {report.detail?.kind ?? 'drill'}: {report.detail?.home} → {report.detail?.target}
          {report.detail?.soakSeconds !== undefined ? `, soak ${report.detail.soakSeconds} s` : ''}; from{' '}
          {when(report.at)} to {when(report.detail?.finishedAt)}
        </dd>
        <dt>Objectives</dt>
        <dd>
          RTO {o.rtoSeconds} s, RPO {o.rpoSeconds} s
        </dd>
      </dl>
      {(report.detail?.problems ?? []).length > 0 ? (
        <ul class="step-error">
          {report.detail?.problems?.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <table>
        <caption>Legs against the objectives</caption>
        <thead>
          <tr>
            <th scope="col">Leg</th>
            <th scope="col">Status</th>
            <th scope="col">RTO</th>
            <th scope="col">RPO</th>
            <th scope="col">Approved by</th>
          </tr>
        </thead>
        <tbody>
          {evidence.legs.map((leg) => (
            <tr key={leg.id}>
              <th scope="row">
                {leg.from} → {leg.to} <span class="muted">{leg.id}</span>
              </th>
              <td>
                <Status value={leg.status} />
              </td>
              <td>
                {duration(leg.rtoSeconds)}{' '}
                {leg.rtoSeconds !== undefined ? (leg.rtoSeconds <= o.rtoSeconds ? '✔ within' : '✖ over') : ''}
              </td>
              <td>
                {duration(leg.rpoSeconds)}{' '}
                {leg.rpoSeconds !== undefined ? (leg.rpoSeconds <= o.rpoSeconds ? '✔ within' : '✖ over') : ''}
              </td>
              <td>
                {leg.approval?.decidedBy
                  ? `${leg.approval.decidedBy} at ${when(leg.approval.decidedAt)}`
                  : 'no approval needed'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {truth ? (
        <section aria-labelledby="truth-title">
          <h2 id="truth-title">Ground truth (sandbox): what users saw</h2>
          {outages.length === 0 ? (
            <p>No outage of {plan.name} during the drill.</p>
          ) : (
            <ul>
              {outages.map((x) => (
                <li key={x.from}>
                  Outage of {duration(x.seconds)} from {when(new Date(origin + x.from * 1000).toISOString())}
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
      {timelines.map((t) => (
        <section key={t.execution.id} class="leg" aria-label={`Leg ${t.execution.from} to ${t.execution.to}`}>
          <h2>
            Leg {t.execution.from} → {t.execution.to}
          </h2>
          <Timeline timeline={t} />
          <StepTable timeline={t} />
        </section>
      ))}
      <p class="muted">Generated at control-plane time {when(evidence.now)}.</p>
    </div>
  );
}
