import { get } from './api.js';
import { ApprovalPanel } from './execution.js';
import { usePoll } from './poll.js';
import type { ExecutionSummary } from './types.js';
import { ErrorBox, Page } from './ui.js';

/** The queue of executions waiting for an approver, across apps. */
export function Approvals() {
  const queue = usePoll(
    () => get<{ approvals: (ExecutionSummary & { waitingSeconds: number })[] }>('/approvals'),
    2000,
    'approvals',
  );
  const items = queue.data?.approvals ?? [];
  return (
    <Page title="Approvals">
      <ErrorBox error={queue.error} />
      {queue.data && items.length === 0 ? <p>Nothing waits for an approver.</p> : null}
      <ul class="queue">
        {items.map((e) => (
          <li key={e.id} class="card" data-approval={e.id}>
            <h2>
              {e.app}: <a href={`#/executions/${e.app}/${e.id}`}>{e.id}</a>
            </h2>
            <ApprovalPanel execution={e} waitSeconds={e.waitingSeconds} onDone={queue.refresh} />
          </li>
        ))}
      </ul>
    </Page>
  );
}
