import { useRef, useState } from 'preact/hooks';
import { describe, get, post, request, seg } from './api.js';
import { usePoll } from './poll.js';
import { lacks } from './session.js';
import type { AppStatus, FailoverPreview, Fault, SandboxAlarm, SandboxTruth } from './types.js';
import { duration, ErrorBox, Page } from './ui.js';

/** The simulator's services an `api-errors` fault may name. */
const SERVICES = ['rds', 'autoscaling', 'route53', 'arc', 'cloudwatch', 'dynamodb', 'sfn', 'events'] as const;
/** The Lambda functions a `lambda-crash` fault may name. */
const FUNCTIONS = [
  'BeginExecution',
  'Preflight',
  'RequestApproval',
  'PrepareDatabase',
  'CheckPrepare',
  'PromoteDatabase',
  'CheckDatabase',
  'ScaleCapacity',
  'CheckCapacity',
  'ShiftTraffic',
  'CheckTraffic',
  'VerifyService',
  'FinishExecution',
  'RecordFailure',
  'OperatorApi',
  'EvaluateAlarm',
  'RunDrill',
] as const;
/** Every fault kind the sandbox accepts. */
const KINDS = [
  'region-outage',
  'route53-control-plane-down',
  'arc-endpoints-down',
  'api-errors',
  'aurora-failover-fails',
  'replication-lag',
  'engine-version-mismatch',
  'capacity-shortage',
  'lambda-crash',
] as const;
type Kind = (typeof KINDS)[number];

const KIND_HELP: Readonly<Record<Kind, string>> = {
  'region-outage': 'every API of the region fails and the app there goes down',
  'route53-control-plane-down': 'Route 53 record edits fail (us-east-1); DNS answers go on',
  'arc-endpoints-down': 'that many of the five ARC cluster endpoints stop answering',
  'api-errors': 'a share of one service’s calls fail with an AWS error code',
  'aurora-failover-fails': 'switchover and failover of the global cluster fail',
  'replication-lag': 'every secondary lags this far: a switchover waits for it, a failover loses it',
  'engine-version-mismatch':
    'the region’s cluster runs another engine version: AWS refuses switchover and failover; detach remains',
  'capacity-shortage': 'the group cannot have more instances InService than this',
  'lambda-crash': 'the function crashes on its next N invocations',
};

/** Sandbox only: inject and clear faults, set alarms, and see the ground truth per app. */
export function SandboxPanel() {
  const truth = usePoll(() => get<SandboxTruth>('/sandbox/truth'), 1000, 'truth');
  const alarms = usePoll(() => get<{ alarms: SandboxAlarm[] }>('/sandbox/alarms'), 2000, 'panel-alarms');
  const resources = usePoll(
    async () => {
      const { apps } = await get<{ apps: AppStatus[] }>('/apps');
      const previews = await Promise.all(
        apps.map((a) => get<FailoverPreview>(`/apps/${seg(a.app)}/failover-preview`)),
      );
      return {
        regions: [...new Set(apps.flatMap((a) => a.regions))].sort(),
        clusters: previews.flatMap((p) => p.resources.databases),
      };
    },
    60_000,
    'panel-resources',
    () => false,
  );
  return (
    <Page title="Sandbox">
      <p class="muted">
        The simulated AWS under the control plane: what the sandbox alone can do. Changing it needs role
        operator.
      </p>
      <ErrorBox error={truth.error} />
      <TruthTimeline truth={truth.data} />
      <FaultForm
        regions={resources.data?.regions ?? []}
        clusters={resources.data?.clusters ?? []}
        onDone={truth.refresh}
      />
      <FaultList faults={truth.data?.faults ?? []} onDone={truth.refresh} />
      <Alarms alarms={alarms.data?.alarms ?? []} onDone={alarms.refresh} />
    </Page>
  );
}

/**
 * Per app, the ground truth over the sandbox's run so far: outages shaded on a time bar, and who
 * serves it now. Samples seen while the page is open add the serving region over time.
 */
function TruthTimeline({ truth }: { truth: SandboxTruth | undefined }) {
  const samples = useRef(new Map<string, { at: number; region: string | null }[]>());
  if (!truth) return <p>Loading the ground truth…</p>;
  const span = Math.max(truth.elapsedSeconds, 1);
  const pct = (s: number) => `${Math.min(100, Math.max(0, (s / span) * 100)).toFixed(2)}%`;
  return (
    <section aria-labelledby="truth-title">
      <h2 id="truth-title">Ground truth: availability per app</h2>
      <p class="muted">
        Virtual time {truth.virtualTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (
        {duration(truth.elapsedSeconds)} since start
        {truth.speed ? `, ${truth.speed}x real time` : ''}). Regions down:{' '}
        {truth.downRegions.join(', ') || 'none'}. Invariants:{' '}
        {truth.invariants.map((i) => `${i.name} ${i.held ? '✔ held' : '✖ BROKEN'}`).join(', ')}.
      </p>
      {Object.entries(truth.apps).map(([app, now]) => {
        const list = samples.current.get(app) ?? [];
        if (list.at(-1)?.region !== now.servedBy)
          list.push({ at: truth.elapsedSeconds, region: now.servedBy });
        samples.current.set(app, list);
        const outages = truth.outages.filter((o) => o.app === app);
        return (
          <div class="truth" key={app} data-truth-app={app}>
            <h3>
              {app}:{' '}
              <span data-served-by={now.servedBy ?? 'none'}>
                {now.servedBy ? `✔ served by ${now.servedBy}` : '✖ NOT SERVED'}
              </span>{' '}
              <span class="muted">
                (DNS → {now.trafficRegion ?? 'none'}, writer in {now.writerRegion ?? 'none'})
              </span>
            </h3>
            <div
              class="truth-bar"
              role="img"
              aria-label={`${app}: ${outages.length} outage(s) in ${duration(truth.elapsedSeconds)}, ${duration(outages.reduce((n, o) => n + o.seconds, 0))} in all`}
            >
              {list.map((s, i) => (
                <span
                  key={`s${s.at}`}
                  class="served"
                  style={{ left: pct(s.at), width: pct((list[i + 1]?.at ?? span) - s.at) }}
                >
                  {s.region ?? ''}
                </span>
              ))}
              {outages.map((o) => (
                <span
                  key={`o${o.from}`}
                  class="outage"
                  style={{ left: pct(o.from), width: `max(2px, ${pct(o.seconds)})` }}
                />
              ))}
            </div>
            <p class="muted">
              {outages.length === 0
                ? 'No outage so far.'
                : `Outages (shaded): ${outages.map((o) => `${duration(o.seconds)} from +${duration(o.from)}`).join('; ')}`}
            </p>
          </div>
        );
      })}
    </section>
  );
}

function FaultForm({
  regions,
  clusters,
  onDone,
}: {
  regions: string[];
  clusters: string[];
  onDone: () => void;
}) {
  const [kind, setKind] = useState<Kind>('region-outage');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const cannot = lacks('operator');
  const set = (name: string) => (e: Event) =>
    setFields({ ...fields, [name]: (e.currentTarget as HTMLInputElement).value });
  const value = (name: string, fallback = '') => fields[name] ?? fallback;
  const fault = (): Fault => {
    switch (kind) {
      case 'region-outage':
        return { kind, region: value('region', regions[0]) };
      case 'route53-control-plane-down':
        return { kind };
      case 'arc-endpoints-down':
        return { kind, count: Number(value('count', '2')) };
      case 'api-errors':
        return {
          kind,
          service: value('service', 'rds'),
          ...(value('region') ? { region: value('region') } : {}),
          error: value('error', 'ThrottlingException'),
          rate: Number(value('rate', '0.5')),
        };
      case 'aurora-failover-fails':
        return { kind, globalClusterId: value('globalClusterId', clusters[0]) };
      case 'replication-lag':
        return {
          kind,
          globalClusterId: value('globalClusterId', clusters[0]),
          lagSeconds: Number(value('lagSeconds', '45')),
        };
      case 'engine-version-mismatch':
        return {
          kind,
          globalClusterId: value('globalClusterId', clusters[0]),
          region: value('region', regions[1] ?? regions[0]),
        };
      case 'capacity-shortage':
        return { kind, group: value('group'), maxInService: Number(value('maxInService', '2')) };
      case 'lambda-crash':
        return { kind, step: value('step', 'PromoteDatabase'), times: Number(value('times', '1')) };
    }
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setDone(undefined);
    try {
      const f = fault();
      await post('/sandbox/faults', { fault: f });
      setDone(`Injected ${JSON.stringify(f)}`);
      onDone();
    } catch (e: unknown) {
      setError(describe(e));
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="fault-title">
      <h2 id="fault-title">Inject a fault</h2>
      <label>
        Kind
        <select
          name="kind"
          value={kind}
          onChange={(e) => {
            setKind(e.currentTarget.value as Kind);
            setFields({});
          }}
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <p class="muted">{KIND_HELP[kind]}</p>
      <div class="fields">
        {kind === 'region-outage' ? (
          <label>
            Region
            <Options
              name="region"
              value={value('region', regions[0])}
              onChange={set('region')}
              options={regions}
            />
          </label>
        ) : null}
        {kind === 'arc-endpoints-down' ? (
          <label>
            Endpoints down (1–5)
            <input
              name="count"
              type="number"
              min={1}
              max={5}
              value={value('count', '2')}
              onInput={set('count')}
            />
          </label>
        ) : null}
        {kind === 'api-errors' ? (
          <>
            <label>
              Service
              <Options
                name="service"
                value={value('service', 'rds')}
                onChange={set('service')}
                options={SERVICES}
              />
            </label>
            <label>
              Region
              <Options
                name="region"
                value={value('region')}
                onChange={set('region')}
                options={regions}
                none="every region"
              />
            </label>
            <label>
              Error code
              <input name="error" value={value('error', 'ThrottlingException')} onInput={set('error')} />
            </label>
            <label>
              Rate (0–1)
              <input
                name="rate"
                type="number"
                min={0}
                max={1}
                step={0.05}
                value={value('rate', '0.5')}
                onInput={set('rate')}
              />
            </label>
          </>
        ) : null}
        {kind === 'aurora-failover-fails' ||
        kind === 'replication-lag' ||
        kind === 'engine-version-mismatch' ? (
          <label>
            Global cluster
            <Options
              name="globalClusterId"
              value={value('globalClusterId', clusters[0])}
              onChange={set('globalClusterId')}
              options={clusters}
            />
          </label>
        ) : null}
        {kind === 'replication-lag' ? (
          <label>
            Lag (seconds)
            <input
              name="lagSeconds"
              type="number"
              min={1}
              max={86400}
              value={value('lagSeconds', '45')}
              onInput={set('lagSeconds')}
            />
          </label>
        ) : null}
        {kind === 'engine-version-mismatch' ? (
          <label>
            Region of the cluster on another version
            <Options
              name="region"
              value={value('region', regions[1] ?? regions[0])}
              onChange={set('region')}
              options={regions}
            />
          </label>
        ) : null}
        {kind === 'capacity-shortage' ? (
          <>
            <label>
              Auto Scaling group (a region's member, e.g. orders-web-usw2)
              <input name="group" value={value('group')} onInput={set('group')} required />
            </label>
            <label>
              At most InService
              <input
                name="maxInService"
                type="number"
                min={0}
                value={value('maxInService', '2')}
                onInput={set('maxInService')}
              />
            </label>
          </>
        ) : null}
        {kind === 'lambda-crash' ? (
          <>
            <label>
              Function
              <Options
                name="step"
                value={value('step', 'PromoteDatabase')}
                onChange={set('step')}
                options={FUNCTIONS}
              />
            </label>
            <label>
              Times
              <input name="times" type="number" min={1} value={value('times', '1')} onInput={set('times')} />
            </label>
          </>
        ) : null}
      </div>
      <button type="submit" disabled={!!cannot} aria-describedby="fault-why">
        Inject fault
      </button>
      <span id="fault-why" class="muted">
        {cannot ?? ''}
      </span>
      {done ? <p role="status">{done}</p> : null}
      <ErrorBox error={error} />
    </form>
  );
}

function FaultList({ faults, onDone }: { faults: readonly Fault[]; onDone: () => void }) {
  const [error, setError] = useState<string>();
  const cannot = lacks('operator');
  const clear = async (what: Fault | 'all') => {
    setError(undefined);
    try {
      await request('DELETE', '/sandbox/faults', { clear: what });
      onDone();
    } catch (e: unknown) {
      setError(describe(e));
    }
  };
  return (
    <section class="card" aria-labelledby="faults-title">
      <h2 id="faults-title">Faults in force ({faults.length})</h2>
      {faults.length === 0 ? <p>None.</p> : null}
      <ul class="faults">
        {faults.map((f, i) => (
          <li key={`${i}-${JSON.stringify(f)}`} data-fault={f.kind}>
            <code>{JSON.stringify(f)}</code>{' '}
            <button type="button" disabled={!!cannot} onClick={() => clear(f)}>
              Clear<span class="sr-only"> {f.kind}</span>
            </button>
          </li>
        ))}
      </ul>
      {faults.length > 0 ? (
        <button type="button" disabled={!!cannot} onClick={() => clear('all')}>
          Clear all faults
        </button>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}

function Alarms({ alarms, onDone }: { alarms: readonly SandboxAlarm[]; onDone: () => void }) {
  const [error, setError] = useState<string>();
  const cannot = lacks('operator');
  const setState = async (alarm: SandboxAlarm, state: string) => {
    setError(undefined);
    try {
      await post('/sandbox/alarms', { name: alarm.name, region: alarm.region, state });
      onDone();
    } catch (e: unknown) {
      setError(describe(e));
    }
  };
  return (
    <section class="card" aria-labelledby="alarms-title">
      <h2 id="alarms-title">Alarms</h2>
      {alarms.length === 0 ? <p>No plan lists an alarm.</p> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">Alarm</th>
            <th scope="col">Region</th>
            <th scope="col">State</th>
            <th scope="col">Set to</th>
          </tr>
        </thead>
        <tbody>
          {alarms.map((a) => (
            <tr key={a.arn}>
              <td>{a.app}</td>
              <th scope="row">{a.name}</th>
              <td>{a.region}</td>
              <td>{a.state === 'ALARM' ? '⚠ ALARM' : (a.state ?? 'unknown')}</td>
              <td>
                {(['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const).map((s) => (
                  <button
                    key={s}
                    type="button"
                    disabled={!!cannot || a.state === s}
                    onClick={() => setState(a, s)}
                  >
                    {s}
                    <span class="sr-only"> {a.name}</span>
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBox error={error} />
    </section>
  );
}

/** A `<select>` over `options`, each its own label; `none` adds a first, empty choice. */
function Options({
  name,
  value,
  onChange,
  options,
  none,
}: {
  name: string;
  value: string | undefined;
  onChange: (e: Event) => void;
  options: readonly string[];
  none?: string;
}) {
  return (
    <select name={name} value={value} onChange={onChange}>
      {none !== undefined ? <option value="">{none}</option> : null}
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}
