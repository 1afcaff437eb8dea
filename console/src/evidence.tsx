import { get, seg } from './api.js';
import { usePoll } from './poll.js';
import type { DrillEvidence, ExecutionTimeline } from './types.js';
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
      return { evidence, timelines };
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
      {d ? <EvidenceBody {...d} /> : polled.error ? null : <p>Loading…</p>}
    </Page>
  );
}

/** A figure against its objective, in words and a mark (never colour alone). */
function verdict(met: boolean | null | undefined, got: number | undefined, objective: number): string {
  const ok = met ?? (got === undefined ? undefined : got <= objective);
  return ok === undefined ? 'not measured' : ok ? '✔ within' : '✖ over';
}

function EvidenceBody({ evidence, timelines }: { evidence: DrillEvidence; timelines: ExecutionTimeline[] }) {
  const { report, plan } = evidence;
  const o = plan.objectives;
  const version = evidence.planVersion;
  const by = evidence.startedBy;
  const ready = evidence.readinessBefore;
  const truth = evidence.groundTruth;
  const met = new Map((evidence.timeline ?? []).map((leg) => [leg.id, leg]));
  const approvals = new Map((evidence.approvals ?? []).map((a) => [a.leg, a]));
  return (
    <div class="evidence">
      <dl class="facts">
        <dt>App</dt>
        <dd>
          {plan.name} ({plan.strategy}, regions {plan.regions.join(', ')})
        </dd>
        <dt>Plan version</dt>
        <dd>
          SHA-256 <code data-plan-sha256>{version?.sha256 ?? plan.digest}</code>
          {version?.sameAsCurrent === true
            ? ' (the plan loaded now)'
            : version?.sameAsCurrent === false
              ? ` (changed since: now ${version.currentSha256})`
              : ' (digest of the plan loaded now: the drill recorded none)'}
        </dd>
        <dt>Started by</dt>
        <dd data-started-by={by?.kind}>
          {by?.kind === 'schedule'
            ? `the plan's schedule ${by.schedule ?? ''} (as ${by.by})`
            : by
              ? `${by.by}, a person, through the API`
              : '–'}
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
        <dt>Times</dt>
        <dd data-time-basis={evidence.time?.basis}>{evidence.time?.note ?? '–'}</dd>
        <dt>Objectives</dt>
        <dd>
          RTO {o.rtoSeconds} s, RPO {o.rpoSeconds} s
        </dd>
        <dt>Readiness before</dt>
        <dd data-readiness-before={ready?.verdict}>
          {ready ? (
            <>
              <Status value={ready.verdict} /> in {ready.region} (what {ready.source} recorded
              {ready.at ? ` at ${when(ready.at)}` : ''})
              {ready.findings.length > 0 ? (
                <ul>
                  {ready.findings.map((f) => (
                    <li key={`${f.code}${f.resource}`}>
                      {f.severity} {f.code} {f.resource}: {f.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </>
          ) : (
            '–'
          )}
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
            <th scope="col">Approval</th>
          </tr>
        </thead>
        <tbody>
          {evidence.legs.map((leg) => {
            const approval = approvals.get(leg.id);
            return (
              <tr key={leg.id}>
                <th scope="row">
                  {leg.from} → {leg.to} <span class="muted">{leg.id}</span>
                </th>
                <td>
                  <Status value={leg.status} />
                </td>
                <td>
                  {duration(leg.rtoSeconds)} {verdict(met.get(leg.id)?.rtoMet, leg.rtoSeconds, o.rtoSeconds)}
                </td>
                <td>
                  {duration(leg.rpoSeconds)} {verdict(met.get(leg.id)?.rpoMet, leg.rpoSeconds, o.rpoSeconds)}
                </td>
                <td>
                  {leg.approval?.decidedBy
                    ? `${leg.approval.decision ?? 'decided'} by ${leg.approval.decidedBy} at ${when(leg.approval.decidedAt)}`
                    : (approval?.note ?? 'no approval needed')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {truth ? (
        <section aria-labelledby="truth-title">
          <h2 id="truth-title">Ground truth (sandbox): what users saw</h2>
          {truth.outages.length === 0 ? (
            <p>No outage of {plan.name} during the drill.</p>
          ) : (
            <>
              <p data-outage-seconds={truth.outageSeconds}>
                {duration(truth.outageSeconds)} of outage for users of {plan.name}, in {truth.outages.length}{' '}
                span(s):
              </p>
              <ul>
                {truth.outages.map((x) => (
                  <li key={x.from}>
                    {duration(x.seconds)} from {when(x.from)} to {when(x.to)}
                    {x.ongoing ? ' (still going on)' : ''}
                  </li>
                ))}
              </ul>
            </>
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
      <p class="muted">
        Generated at control-plane time {when(evidence.now)} ({evidence.time?.basis ?? 'unknown'} time).
      </p>
    </div>
  );
}
