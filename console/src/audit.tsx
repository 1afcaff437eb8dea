import { get, seg } from './api.js';
import { usePoll } from './poll.js';
import { navigate } from './router.js';
import type { AppStatus, AuditEntry } from './types.js';
import { ErrorBox, Page, when } from './ui.js';

/** Who did what and why, newest first, for one app or all. */
export function Audit({ app }: { app: string | undefined }) {
  const apps = usePoll(
    () => get<{ apps: AppStatus[] }>('/apps'),
    60_000,
    'audit-apps',
    () => false,
  );
  const names = apps.data?.apps.map((a) => a.app) ?? [];
  const entries = usePoll(
    async () => {
      const wanted = app ? [app] : names;
      const lists = await Promise.all(
        wanted.map((a) => get<{ entries: AuditEntry[] }>(`/apps/${seg(a)}/audit?limit=100`)),
      );
      return lists.flatMap((l) => l.entries).sort((a, b) => b.at.localeCompare(a.at));
    },
    3000,
    `audit-${app ?? '*'}-${names.join(',')}`,
  );
  return (
    <Page
      title="Audit"
      actions={
        <label>
          Filter by app{' '}
          <select
            value={app ?? ''}
            onChange={(e) => navigate(e.currentTarget.value ? `/audit/${e.currentTarget.value}` : '/audit')}
          >
            <option value="">all apps</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorBox error={apps.error ?? entries.error} />
      {entries.data && entries.data.length === 0 ? <p>No entry yet.</p> : null}
      {entries.data && entries.data.length > 0 ? (
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">App</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">What and why</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((e) => (
              <tr key={`${e.app}-${e.id}`} data-audit-app={e.app}>
                <td>{when(e.at)}</td>
                <td>{e.app}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td class="wrap">
                  {e.detail}
                  {e.executionId ? (
                    <>
                      {' '}
                      (<a href={`#/executions/${e.app}/${e.executionId}`}>{e.executionId}</a>)
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
