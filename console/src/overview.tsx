import { useEffect, useRef, useState } from 'preact/hooks';
import { FREE_TEXT_MAX_CHARS } from '../../functions/core/text-bounds.js';
import { describe, get, post, seg } from './api.js';
import { isSandbox } from './mode.js';
import { usePoll } from './poll.js';
import { navigate } from './router.js';
import { lacks } from './session.js';
import type { AppStatus, FailoverPreview, RegionDetail, SandboxAlarm } from './types.js';
import { ErrorBox, Page, Status, when } from './ui.js';

/** How often the overview reads every app's state. */
export const OVERVIEW_POLL_MS = 2000;

/** Every app: its recorded state and each region's observed state; Fail over and Drill buttons. */
export function Overview() {
  const apps = usePoll(() => get<{ apps: AppStatus[] }>('/apps'), OVERVIEW_POLL_MS, 'apps');
  const alarms = usePoll(
    () =>
      isSandbox() ? get<{ alarms: SandboxAlarm[] }>('/sandbox/alarms') : Promise.resolve({ alarms: [] }),
    OVERVIEW_POLL_MS,
    'alarms',
  );
  const [failing, setFailing] = useState<AppStatus | null>(null);
  return (
    <Page title="Apps">
      <ErrorBox error={apps.error} />
      {apps.data === undefined && !apps.error ? <p>Loading…</p> : null}
      <div class="cards">
        {apps.data?.apps.map((app) => (
          <AppCard
            key={app.app}
            app={app}
            alarms={(alarms.data?.alarms ?? []).filter((a) => a.app === app.app)}
            onFailover={() => setFailing(app)}
          />
        ))}
      </div>
      {failing ? <FailoverDialog app={failing} onClose={() => setFailing(null)} /> : null}
    </Page>
  );
}

function AppCard({
  app,
  alarms,
  onFailover,
}: {
  app: AppStatus;
  alarms: SandboxAlarm[];
  onFailover: () => void;
}) {
  const degraded = app.status === 'DEGRADED';
  const [drillError, setDrillError] = useState<string>();
  const [soak, setSoak] = useState('');
  const cannot = lacks('operator');
  const busy = app.status === 'FAILING_OVER';
  const preview = usePoll(
    () => get<FailoverPreview>(`/apps/${seg(app.app)}/failover-preview`),
    60_000,
    `preview-${app.app}`,
    () => false,
  );
  const startDrill = async () => {
    setDrillError(undefined);
    try {
      await post(`/apps/${seg(app.app)}/drills`, soak.trim() ? { soakSeconds: Number(soak) } : {});
      navigate(`/history/${app.app}`);
    } catch (error: unknown) {
      setDrillError(describe(error));
    }
  };
  return (
    <article
      class={`card${degraded ? ' card-degraded' : ''}`}
      aria-labelledby={`app-${app.app}`}
      data-app={app.app}
    >
      <header class="card-head">
        <h2 id={`app-${app.app}`}>{app.app}</h2>
        <Status value={app.status} />
        <span class="muted">{app.strategy}</span>
      </header>
      {degraded ? <DegradedReason app={app} /> : null}
      {app.regionsDetail[app.activeRegion]?.reachable === false ? (
        <p class="degraded-reason" role="status">
          <strong>⚠ The active region {app.activeRegion} is unreachable</strong> from this control plane:
          consider an ungraceful failover.
        </p>
      ) : null}
      <p>
        Active region <strong data-active-region>{app.activeRegion}</strong> · objectives RTO{' '}
        {app.objectives.rtoSeconds} s, RPO {app.objectives.rpoSeconds} s
        {app.lastFailoverAt ? ` · last failover ${when(app.lastFailoverAt)}` : ''}
      </p>
      <Observed app={app} />
      {app.runningExecution ? (
        <p>
          Running: <a href={`#/executions/${app.app}/${app.runningExecution}`}>{app.runningExecution}</a>
        </p>
      ) : app.latestExecution && !('unknown' in app.latestExecution) ? (
        <p class="latest-execution">
          Last execution:{' '}
          <a href={`#/executions/${app.app}/${app.latestExecution.id}`}>{app.latestExecution.id}</a>{' '}
          <Status value={app.latestExecution.status} />
        </p>
      ) : null}
      <table class="regions">
        <caption class="sr-only">{app.app}: state per region</caption>
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col">Reachable</th>
            <th scope="col">Database writer</th>
            <th scope="col">Capacity: healthy / desired, against the plan's profiles</th>
            <th scope="col">Routing</th>
            <th scope="col">Replication lag</th>
          </tr>
        </thead>
        <tbody>
          {app.regions.map((region) => (
            <RegionRow
              key={region}
              app={app}
              region={region}
              detail={app.regionsDetail[region]}
              profiles={preview.data?.resources.capacity ?? []}
            />
          ))}
        </tbody>
      </table>
      {app.detection ? (
        <p class="detection">
          Automatic detection: {app.detection.mode}
          {app.detection.meaning ? ` (${app.detection.meaning})` : ''}
          {app.detection.cooldownUntil
            ? ` · cooldown until ${app.detection.cooldownUntil} (no automatic failover before then)`
            : ' · no cooldown in force'}
        </p>
      ) : null}
      {alarms.length > 0 ? (
        <p class="alarms">
          Alarms:{' '}
          {alarms.map((a) => (
            <span key={a.arn} class={`alarm alarm-${(a.state ?? 'unknown').toLowerCase()}`}>
              {a.name} ({a.region}) {a.state === 'ALARM' ? '⚠ ALARM' : (a.state ?? 'unknown')}
            </span>
          ))}
        </p>
      ) : null}
      <div class="actions">
        <button
          type="button"
          class="danger"
          onClick={onFailover}
          disabled={!!cannot || busy}
          aria-describedby={`why-${app.app}`}
        >
          Fail over {app.app}…
        </button>
        <button type="button" onClick={startDrill} disabled={!!cannot || busy}>
          Start a DR drill
        </button>
        <label class="inline">
          soak (s, blank: the plan's)
          <input
            class="short"
            type="number"
            min={0}
            name={`soak-${app.app}`}
            value={soak}
            onInput={(e) => setSoak(e.currentTarget.value)}
          />
        </label>
        <a href={`#/history/${app.app}`}>History and drills</a>
        <span id={`why-${app.app}`} class="muted">
          {cannot ? `Fail over: ${cannot}` : busy ? 'a failover is running' : ''}
        </span>
      </div>
      <ErrorBox error={drillError} />
    </article>
  );
}

/**
 * What the observer sees now, beside what is recorded: where traffic goes and, per global cluster,
 * which regions take writes. Drift from the recorded active region is said in words.
 */
function Observed({ app }: { app: AppStatus }) {
  const traffic = app.trafficRegion;
  const trafficDrift = traffic !== null && traffic !== app.activeRegion;
  const clusters = Object.entries(app.writers);
  return (
    <div class="observed" data-observed>
      <p>
        Observed traffic region <strong data-traffic-region>{traffic ?? 'unknown'}</strong>
        {trafficDrift ? (
          <span class="warn" role="status">
            {' '}
            ⚠ not the recorded active region {app.activeRegion}
          </span>
        ) : null}
      </p>
      <div>
        Observed writer per cluster:
        <ul class="writers">
          {clusters.map(([cluster, regions]) => {
            const drift = regions.length !== 1 || regions[0] !== app.activeRegion;
            const what =
              regions.length === 0
                ? 'no writer'
                : regions.length > 1
                  ? `${regions.join(' and ')} (split brain: more than one writer)`
                  : regions[0];
            return (
              <li key={cluster} data-cluster={cluster}>
                {cluster}: <strong data-writer>{what}</strong>
                {drift && regions.length === 1 ? (
                  <span class="warn"> ⚠ not the recorded active region {app.activeRegion}</span>
                ) : drift ? (
                  <span class="warn"> ⚠</span>
                ) : null}
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}

type Profiles = FailoverPreview['resources']['capacity'];

/** What a group's desired count matches: the plan's active or standby profile, or neither. */
function profileOf(desired: number | null, profile: Profiles[number] | undefined): string {
  if (!profile || desired === null) return '';
  const desiredOf = (p: string) => Number(p.split('/')[1]);
  if (desired === desiredOf(profile.active)) return '= active profile';
  if (desired === desiredOf(profile.standby)) return '= standby profile';
  return `⚠ neither profile (active ${profile.active}, standby ${profile.standby})`;
}

function RegionRow({
  app,
  region,
  detail,
  profiles,
}: {
  app: AppStatus;
  region: string;
  detail: RegionDetail | undefined;
  profiles: Profiles;
}) {
  if (!detail) return null;
  const lagSeconds = detail.replicationLagMs === null ? null : detail.replicationLagMs / 1000;
  const lagHigh = lagSeconds !== null && lagSeconds > app.objectives.rpoSeconds;
  const problems = detail.problems ?? [];
  return (
    <>
      <tr data-region={region} class={detail.reachable ? '' : 'unreachable'}>
        <th scope="row">
          {region}
          {region === app.activeRegion ? <span class="tag">active</span> : null}
          {detail.readiness ? (
            <span
              class={`tag readiness ${detail.readiness.verdict === 'READY' ? '' : 'warn'}`}
              title={`readiness evaluated ${detail.readiness.evaluatedAt}${
                detail.readiness.warnings.length > 0
                  ? `; warnings: ${detail.readiness.warnings.join(', ')}`
                  : ''
              }`}
            >
              {detail.readiness.verdict}
              {detail.readiness.blocking.length > 0 ? ` (${detail.readiness.blocking.join(', ')})` : ''}
            </span>
          ) : null}
        </th>
        <td>{detail.reachable ? '✔ yes' : '✖ unreachable'}</td>
        <td>{detail.writer === null ? 'unknown' : detail.writer ? '✔ writer' : 'reader'}</td>
        <td>
          {detail.capacity.map((c) => (
            <div key={c.group}>
              {c.group}: {c.healthyInService ?? '?'} / {c.desired ?? '?'}{' '}
              <span class="muted">
                {profileOf(
                  c.desired,
                  profiles.find((p) => p.group === c.group),
                )}
              </span>
            </div>
          ))}
        </td>
        <td>{detail.routing ?? 'unknown'}</td>
        <td class={lagHigh ? 'warn' : ''}>
          {lagSeconds === null
            ? '–'
            : `${lagSeconds.toFixed(1)} s ${lagHigh ? `⚠ over RPO ${app.objectives.rpoSeconds} s` : `(RPO ${app.objectives.rpoSeconds} s)`}`}
        </td>
      </tr>
      {problems.length > 0 ? (
        <tr class={detail.reachable ? 'problems' : 'problems unreachable'}>
          <td colSpan={6}>
            <details>
              <summary>
                {region}: {problems.length} read(s) failed
              </summary>
              <ul>
                {problems.map((p) => (
                  <li key={p} class="problem">
                    {p}
                  </li>
                ))}
              </ul>
            </details>
          </td>
        </tr>
      ) : null}
    </>
  );
}

/**
 * Why an app is DEGRADED: the recorded reason, else its newest execution's outcome (a FAILED run
 * newer than the last success is what marked it), else the last success's.
 */
function DegradedReason({ app }: { app: AppStatus }) {
  const [reason, setReason] = useState<string>('reading the last execution…');
  const latest = app.latestExecution && !('unknown' in app.latestExecution) ? app.latestExecution : undefined;
  useEffect(() => {
    if (app.statusReason) {
      setReason(app.statusReason);
      return;
    }
    if (latest) {
      setReason(
        `execution ${latest.id} ${latest.status}${latest.error ? `: ${latest.error.name}: ${latest.error.message}` : ''}`,
      );
      return;
    }
    if (!app.lastExecutionId) {
      setReason('marked DEGRADED; no execution recorded');
      return;
    }
    get<{ error?: { name: string; message: string }; status: string; id: string }>(
      `/apps/${seg(app.app)}/executions/${seg(app.lastExecutionId)}`,
    )
      .then((e) =>
        setReason(`execution ${e.id} ${e.status}${e.error ? `: ${e.error.name}: ${e.error.message}` : ''}`),
      )
      .catch((error: unknown) => setReason(describe(error)));
  }, [app.app, app.lastExecutionId, app.statusReason, latest?.id, latest?.status]);
  return (
    <p class="degraded-reason" role="status">
      <strong>⚠ Degraded:</strong> {reason}. A person must check the writer and the traffic.
    </p>
  );
}

/**
 * The confirmation before a failover: what will happen (target, mode with its difference, the
 * objectives, the runbook's steps, whether approval is needed), a reason, and the app's name typed.
 */
function FailoverDialog({ app, onClose }: { app: AppStatus; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [preview, setPreview] = useState<FailoverPreview>();
  const [to, setTo] = useState(app.regions.find((r) => r !== app.activeRegion) ?? '');
  const [mode, setMode] = useState<'graceful' | 'ungraceful'>('graceful');
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string>();
  const [sending, setSending] = useState(false);
  const [key] = useState(() => crypto.randomUUID());
  useEffect(() => {
    ref.current?.showModal();
    get<FailoverPreview>(`/apps/${seg(app.app)}/failover-preview`)
      .then(setPreview)
      .catch((e: unknown) => setError(describe(e)));
  }, [app.app]);
  const ready = typed === app.app && reason.trim() !== '' && to !== '' && !sending;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready) return;
    setSending(true);
    setError(undefined);
    try {
      const answer = await post<{ executionId: string }>(
        `/apps/${seg(app.app)}/failovers`,
        { to, mode, reason: reason.trim() },
        { 'idempotency-key': key },
      );
      onClose();
      navigate(`/executions/${app.app}/${answer.executionId}`);
    } catch (e: unknown) {
      setError(describe(e));
      setSending(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="failover-title" onClose={onClose}>
      <form onSubmit={submit}>
        <h2 id="failover-title">Fail over {app.app}</h2>
        <p>
          From <strong>{app.activeRegion}</strong> (active now). Objectives: RTO {app.objectives.rtoSeconds}{' '}
          s, RPO {app.objectives.rpoSeconds} s.
        </p>
        <label>
          Target region
          <select value={to} onChange={(e) => setTo(e.currentTarget.value)} name="to">
            {app.regions
              .filter((r) => r !== app.activeRegion)
              .map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
          </select>
        </label>
        <fieldset>
          <legend>Mode</legend>
          {(['graceful', 'ungraceful'] as const).map((m) => (
            <label key={m} class="radio">
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
              <strong>{m}</strong> — {preview?.modes[m] ?? ''}
            </label>
          ))}
        </fieldset>
        {preview ? (
          <>
            <p class={preview.approvalRequired ? 'notice' : ''}>
              {preview.approvalRequired
                ? `‖ Approval needed: an approver other than you must approve before anything changes (timeout ${preview.approvalTimeoutSeconds} s). The wait does not count toward the RTO.`
                : 'No approval needed: the runbook starts at once.'}
            </p>
            <details open>
              <summary>
                The runbook's steps ({preview.strategy}, traffic by{' '}
                {preview.traffic === 'arc' ? 'ARC routing controls' : 'Route 53 records'})
              </summary>
              <ol class="plan-steps">
                {preview.steps.map((s, i) => (
                  <li key={`${s.name}-${i}`}>
                    <strong>{s.name}</strong> <span class="muted">[{s.lane}]</span> {s.what}
                  </li>
                ))}
              </ol>
            </details>
          </>
        ) : null}
        <label>
          Reason (recorded in the audit trail)
          <textarea
            name="reason"
            required
            maxLength={FREE_TEXT_MAX_CHARS}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            rows={2}
          />
        </label>
        <label>
          Type <strong>{app.app}</strong> to confirm
          <input
            name="confirm"
            autocomplete="off"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
            aria-describedby="confirm-hint"
          />
        </label>
        <p id="confirm-hint" class="muted">
          {typed === app.app
            ? 'Confirmed.'
            : `The button is enabled once the name matches and a reason is given.`}
        </p>
        <ErrorBox error={error} />
        <div class="actions">
          <button type="submit" class="danger" disabled={!ready}>
            {sending ? 'Requesting…' : `Fail over ${app.app} to ${to}`}
          </button>
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
