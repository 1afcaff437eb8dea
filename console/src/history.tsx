import { useMemo } from 'preact/hooks';
import { get, seg } from './api.js';
import { RecoveryChart } from './chart.js';
import { usePoll } from './poll.js';
import { navigate } from './router.js';
import type { AppStatus, DrillReport, ExecutionSummary } from './types.js';
import { duration, ErrorBox, Page, rpoText, Status, when } from './ui.js';

/** Executions and drills of one app, with the RTO/RPO chart. */
export function History({ app }: { app: string | undefined }) {
  const apps = usePoll(
    () => get<{ apps: AppStatus[] }>('/apps'),
    60_000,
    'history-apps',
    () => false,
  );
  const chosen = app ?? apps.data?.apps[0]?.app;
  const data = usePoll(
    async () => {
      if (!chosen) return undefined;
      const [executions, drills] = await Promise.all([
        get<{ executions: ExecutionSummary[] }>(`/apps/${seg(chosen)}/executions?limit=100`),
        get<{ drills: DrillReport[] }>(`/apps/${seg(chosen)}/drills?limit=100`),
      ]);
      return { executions: executions.executions, drills: drills.drills };
    },
    3000,
    `history-${chosen ?? ''}`,
  );
  const status = apps.data?.apps.find((a) => a.app === chosen);
  const points = useMemo(
    () =>
      (data.data?.executions ?? [])
        .filter((e) => e.status === 'SUCCEEDED' && e.rtoSeconds !== undefined)
        .map((e) => ({
          at: Date.parse(e.finishedAt ?? e.startedAt) / 1000,
          rto: e.rtoSeconds ?? null,
          rpo: e.rpoSeconds ?? null,
        }))
        .sort((a, b) => a.at - b.at),
    [data.data],
  );
  return (
    <Page
      title={`History${chosen ? `: ${chosen}` : ''}`}
      actions={
        <label>
          App{' '}
          <select value={chosen} onChange={(e) => navigate(`/history/${e.currentTarget.value}`)}>
            {apps.data?.apps.map((a) => (
              <option key={a.app} value={a.app}>
                {a.app}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorBox error={apps.error ?? data.error} />
      {status ? (
        <>
          <h2>RTO and RPO of successful executions</h2>
          {points.length === 0 ? (
            <p>No successful execution yet.</p>
          ) : (
            <RecoveryChart
              points={points}
              rtoObjective={status.objectives.rtoSeconds}
              rpoObjective={status.objectives.rpoSeconds}
              label={`${status.app}: RTO and RPO of ${points.length} successful execution(s) against objectives of ${status.objectives.rtoSeconds} s and ${status.objectives.rpoSeconds} s; the executions table lists every figure`}
            />
          )}
        </>
      ) : null}
      <h2>DR drills</h2>
      {data.data && data.data.drills.length === 0 ? <p>No drill yet.</p> : null}
      {data.data && data.data.drills.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Drill</th>
              <th scope="col">At</th>
              <th scope="col">Started by</th>
              <th scope="col">Outcome</th>
              <th scope="col">Legs: RTO / RPO against the objectives</th>
            </tr>
          </thead>
          <tbody>
            {data.data.drills.map((d) => (
              <tr key={d.id} data-drill={d.id}>
                <th scope="row">
                  <a href={`#/evidence/${d.app}/${d.id}`}>{d.id}</a>
                </th>
                <td>{when(d.at)}</td>
                <td>
                  {d.detail?.startedBy?.kind === 'schedule'
                    ? `schedule ${d.detail.startedBy.schedule ?? ''}`
                    : (d.detail?.startedBy?.by ?? '–')}
                </td>
                <td>
                  <Status value={d.outcome} />
                </td>
                <td>
                  {(d.detail?.legs ?? []).map((l) => (
                    <div key={l.id}>
                      {l.from} → {l.to}: RTO {duration(l.rtoSeconds)}
                      {status && l.rtoSeconds !== null
                        ? l.rtoSeconds <= status.objectives.rtoSeconds
                          ? ' ✔'
                          : ' ✖'
                        : ''}{' '}
                      · RPO {duration(l.rpoSeconds)}
                      {status && l.rpoSeconds !== null
                        ? l.rpoSeconds <= status.objectives.rpoSeconds
                          ? ' ✔'
                          : ' ✖'
                        : ''}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Executions</h2>
      {data.data && data.data.executions.length === 0 ? <p>No execution yet.</p> : null}
      {data.data && data.data.executions.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Execution</th>
              <th scope="col">Started</th>
              <th scope="col">Move</th>
              <th scope="col">Status</th>
              <th scope="col">RTO</th>
              <th scope="col">RPO</th>
              <th scope="col">Requested by</th>
            </tr>
          </thead>
          <tbody>
            {data.data.executions.map((e) => (
              <tr key={e.id}>
                <th scope="row">
                  <a href={`#/executions/${e.app}/${e.id}`}>{e.id}</a>
                </th>
                <td>{when(e.startedAt)}</td>
                <td>
                  {e.from} → {e.to} ({e.mode})
                </td>
                <td>
                  <Status value={e.status} />
                </td>
                <td>{duration(e.rtoSeconds)}</td>
                <td data-rpo-last-seen={e.rpoLastSeenAt}>{rpoText(e.rpoSeconds, e.rpoLastSeenAt)}</td>
                <td>{e.requestedBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
