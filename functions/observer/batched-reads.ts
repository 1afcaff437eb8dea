import DataLoader from 'dataloader';
import type { Clock } from '../core/clock.js';
import { ResourceNotFoundError } from '../core/errors.js';
import type { LockRecord, PlanState } from '../core/records.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { ArcClusterEndpoint, RoutingControlState, UnreachableRegions } from '../runbook/ports/arc.js';
import type { AuroraEngine, ClusterView, GlobalClusterView } from '../runbook/ports/aurora.js';
import type { DescribeOptions, GroupCapacity } from '../runbook/ports/auto-scaling.js';
import type { AlarmState } from '../runbook/ports/cloudwatch.js';

/**
 * Batched reads (docs/architecture.md, Batched reads): the read ports of one invocation, where
 * reads made together (in the same tick: every app's observation started at once) become one call
 * per region or cluster, as one would read AWS at scale; it also spares the API quotas (RDS takes
 * 12 calls per second per region, `sandbox/quotas.ts`).
 *
 * - `aurora.describeGlobalCluster`: one DescribeGlobalClusters without an identifier per region
 *   (it returns every global cluster, 100 a page).
 * - `aurora.describeCluster`: one DescribeDBClusters per region with the `db-cluster-id` filter
 *   naming every cluster asked for (100 a call).
 * - `autoScaling.describe`: one DescribeAutoScalingGroups per region naming every group asked for
 *   (100 names a call), and DescribeTargetHealth once per target group (that API takes one): the
 *   target groups the callers named (the plans') beside DescribeAutoScalingGroups, any other the
 *   answer names after it; the
 *   reads that leave target health out (`targetHealth: false`) in a DescribeAutoScalingGroups of
 *   their own.
 * - `arc.getStates`: one ListRoutingControls per ARC cluster (every control's state, 500 a page),
 *   on the endpoints in the adapter's order (unreachable regions last); callers passing different
 *   `unreachable` sets are batched apart, so each set is kept as the adapter keeps it.
 *
 * - `store.getState` and `store.getLock` (when `deps` has a store that reads many apps at once):
 *   one BatchGetItem (100 keys a call) for every app's STATE and LOCK items asked together.
 *
 * - `stepFunctions.stateMachineStatus` (when `deps` has Step Functions): one DescribeStateMachine
 *   per state machine asked together (every app of a strategy shares its runbook).
 *
 * - `auroraLag.replicationLagMs`: one GetMetricData per region for every lag asked at the same
 *   instant (500 metrics a call), when the port reads many (`replicationLagsMs`).
 * - `alarms.alarmStates` (when `deps` has CloudWatch alarms): one DescribeAlarms per region for
 *   every alarm name asked together (100 names a call).
 *
 * - `autoScaling.warmPool`: DescribeWarmPool names one group (the API takes one; no batch exists),
 *   so the reads asked together are paced instead, per region, under {@link WARM_POOL_PACE} (when
 *   `deps` has a clock that can wait): a hundred apps' pools read at once would empty the
 *   region's Auto Scaling request bucket, which every Auto Scaling call of the account shares, and
 *   throttled reads would leave readiness unknown and starve the other reads of that bucket.
 *
 * A read asked alone is made as before (the one-item call). Every other method passes through. A
 * batch that fails fails each read it covered with the same error (each app's observation records
 * it as unknown, never a guess); a region that does not answer costs one call's timeouts for all.
 * A resource the batch's answer leaves out is ResourceNotFoundError, as the one-item call says.
 * Nothing is cached: a second read in a later tick makes a new call (the reconciler reads what AWS
 * says now on every run). Make one per invocation.
 */
export type ReadPorts = Pick<RunbookDeps, 'aurora' | 'autoScaling' | 'arc'>;

/**
 * How fast one invocation reads warm pools in one region: a burst of 40 calls, then 8 per second
 * (virtual seconds in the sandbox). AWS publishes no rate for the Auto Scaling API: its calls share
 * one request bucket per account and Region, with no number given (AWS Knowledge Center, "Why are
 * my Amazon EC2 Auto Scaling API calls throttled?",
 * https://repost.aws/knowledge-center/autoscaling-api-calls-throttled). Both regions' control
 * planes read every app's pools at the same minute, so together they take at most 80 at once and 16
 * a second: under the smallest bucket Amazon EC2 publishes for a describe action (100 tokens,
 * refilled at 20 a second; Amazon EC2 Developer Guide, "Request throttling for the Amazon EC2
 * API", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), leaving the rest
 * to the runbooks' and the reconciler's calls. 100 pools take (100 - 40) / 8 = 7.5 s.
 */
export const WARM_POOL_PACE = { burst: 40, perSecond: 8 } as const;

/** `deps` with its read ports batched (see {@link ReadPorts}); everything else is `deps`' own. */
export function batchedReads<T extends ReadPorts>(deps: T): T {
  const { aurora, autoScaling, arc } = deps;
  const perKey = <L>(make: (key: string) => L) => {
    const loaders = new Map<string, L>();
    return (key: string): L => {
      let loader = loaders.get(key);
      if (!loader) {
        loader = make(key);
        loaders.set(key, loader);
      }
      return loader;
    };
  };
  const options = { cache: false } as const;

  const globalClusters = perKey(
    (region) =>
      new DataLoader<string, GlobalClusterView>(async (ids) => {
        if (ids.length === 1 || !aurora.describeGlobalClusters)
          return settle(ids.map((id) => aurora.describeGlobalCluster(region, id)));
        const all = await aurora.describeGlobalClusters(region);
        const byId = new Map(all.map((g) => [g.id, g]));
        return ids.map(
          (id) =>
            byId.get(id) ??
            new ResourceNotFoundError(
              `DescribeGlobalClusters in ${region}: global cluster ${id} not found (got ${all.length} other cluster(s); expected ${id})`,
            ),
        );
      }, options),
  );

  const clusters = perKey(
    (region) =>
      new DataLoader<string, ClusterView>(async (keys) => {
        if (keys.length === 1 || !aurora.describeClusters)
          return settle(keys.map((key) => aurora.describeCluster(region, key)));
        const found = await aurora.describeClusters(region, [...new Set(keys)]);
        const byName = new Map<string, ClusterView>();
        for (const cluster of found) byName.set(cluster.id, cluster).set(cluster.arn, cluster);
        return keys.map(
          (key) =>
            byName.get(key) ??
            byName.get(clusterIdOf(key)) ??
            new ResourceNotFoundError(
              `DescribeDBClusters ${key} in ${region}: cluster not found (got no cluster; expected one)`,
            ),
        );
      }, options),
  );

  // The target groups callers named for a group (the plans'): passed on, so that the adapter reads
  // their health beside the groups instead of after them (one round of reads, not two).
  const targetGroupsOf = new Map<string, readonly string[]>();
  const hinted = (region: string, names: readonly string[]) => [
    ...new Set(names.flatMap((name) => targetGroupsOf.get(`${region}|${name}`) ?? [])),
  ];
  // Reads with and without the target groups' health are batched apart (`DescribeOptions`).
  const groupLoader = (region: string, read: DescribeOptions) =>
    new DataLoader<string, GroupCapacity>(async (names) => {
      const health = read.targetHealth !== false;
      if (names.length === 1 || !autoScaling.describeMany)
        return settle(
          names.map((name) =>
            autoScaling.describe(region, name, health ? hinted(region, [name]) : undefined, read),
          ),
        );
      const found = await autoScaling.describeMany(region, [...new Set(names)], {
        ...read,
        ...(health ? { targetGroups: hinted(region, names) } : {}),
      });
      return names.map(
        (name) =>
          found.get(name) ??
          new ResourceNotFoundError(
            `DescribeAutoScalingGroups ${name} in ${region}: group not found (got no group; expected an existing Auto Scaling group)`,
          ),
      );
    }, options);
  const groups = perKey((region) => groupLoader(region, {}));
  const groupsAlone = perKey((region) => groupLoader(region, { targetHealth: false }));

  // Keyed by the cluster's endpoints and the caller's `unreachable` set (by identity).
  const sets = new WeakMap<UnreachableRegions, number>();
  let lastSetId = 0;
  const setId = (set: UnreachableRegions | undefined): number => {
    if (!set) return 0;
    const known = sets.get(set);
    if (known !== undefined) return known;
    lastSetId++;
    sets.set(set, lastSetId);
    return lastSetId;
  };
  const controlLoaders = new Map<
    string,
    DataLoader<readonly string[], Record<string, RoutingControlState>, readonly string[]>
  >();
  const controls = (
    endpoints: readonly ArcClusterEndpoint[],
    unreachable: UnreachableRegions | undefined,
  ) => {
    const key = `${setId(unreachable)}|${endpoints.map((e) => `${e.region}=${e.endpoint}`).join('|')}`;
    const known = controlLoaders.get(key);
    if (known) return known;
    // One key per getStates call (its list of ARNs): one call alone reads as before.
    const loader = new DataLoader<readonly string[], Record<string, RoutingControlState>, readonly string[]>(
      async (calls) => {
        if (calls.length === 1 || !arc.listStates)
          return settle(calls.map((arns) => arc.getStates(endpoints, arns, unreachable)));
        const all = await arc.listStates(endpoints, unreachable);
        return calls.map((arns): Record<string, RoutingControlState> | Error => {
          const states: Record<string, RoutingControlState> = {};
          const missing: string[] = [];
          for (const arn of arns) {
            const state = all[arn];
            if (state === undefined) missing.push(arn);
            else states[arn] = state;
          }
          return missing.length === 0
            ? states
            : new ResourceNotFoundError(
                `ListRoutingControls: routing control ${missing.join(', ')} not found (got ${Object.keys(all).length} other control(s) from the cluster; expected each to exist)`,
              );
        });
      },
      { cache: false, cacheKeyFn: (arns) => arns },
    );
    controlLoaders.set(key, loader);
    return loader;
  };

  // The state store's STATE and LOCK reads, when the deps carry a store that reads many at once.
  const store = (deps as Partial<Pick<RunbookDeps, 'store'>>).store;
  const readMany = store?.getStatesAndLocks?.bind(store);
  type StoreRead = { readonly app: string; readonly item: 'state' | 'lock' };
  const records = readMany
    ? new DataLoader<StoreRead, PlanState | LockRecord | undefined, string>(
        async (reads) => {
          const one = reads.length === 1 ? reads[0] : undefined;
          if (one && store)
            return [await (one.item === 'state' ? store.getState(one.app) : store.getLock(one.app))];
          const found = await readMany(
            [...new Set(reads.map((r) => r.app))],
            [...new Set(reads.map((r) => r.item))],
          );
          return reads.map((r) => found.get(r.app)?.[r.item]);
        },
        { cache: false, cacheKeyFn: (r) => `${r.app}|${r.item}` },
      )
    : undefined;
  const storeDeps =
    store && records
      ? {
          store: Object.assign(Object.create(store) as typeof store, {
            getState: async (app: string) =>
              (await records.load({ app, item: 'state' })) as PlanState | undefined,
            getLock: async (app: string) =>
              (await records.load({ app, item: 'lock' })) as LockRecord | undefined,
          }),
        }
      : {};

  // DescribeStateMachine: every app of a strategy runs the same state machine in a region, so the
  // reads of one machine asked together are one call.
  const stepFunctions = (deps as Partial<Pick<RunbookDeps, 'stepFunctions'>>).stepFunctions;
  const machines = stepFunctions
    ? new DataLoader<string, string>(
        async (keys) => {
          const unique = [...new Set(keys)];
          const answers = await settle(
            unique.map((key) => {
              const [region = '', arn = ''] = key.split('|');
              return stepFunctions.stateMachineStatus(region, arn);
            }),
          );
          return keys.map((key) => answers[unique.indexOf(key)] ?? new Error(`no answer for ${key}`));
        },
        { cache: false },
      )
    : undefined;
  const stepFunctionsDeps =
    stepFunctions && machines
      ? {
          stepFunctions: Object.assign(Object.create(stepFunctions) as typeof stepFunctions, {
            stateMachineStatus: (region: string, arn: string) => machines.load(`${region}|${arn}`),
          }),
        }
      : {};

  // GetMetricData: the lags asked at one instant in one region, read together.
  type LagRead = { readonly clusterIdOrArn: string; readonly engine: AuroraEngine | undefined };
  const auroraLag = (deps as Partial<Pick<RunbookDeps, 'auroraLag'>>).auroraLag;
  const lags = perKey((key) => {
    const [region = '', now = '0'] = key.split('|');
    return new DataLoader<LagRead, number | undefined, string>(
      async (reads) => {
        if (!auroraLag) throw new Error('no Aurora replication lag port');
        if (reads.length === 1 || !auroraLag.replicationLagsMs)
          return settle(
            reads.map((r) => auroraLag.replicationLagMs(region, r.clusterIdOrArn, Number(now), r.engine)),
          );
        return auroraLag.replicationLagsMs(
          region,
          reads.map((r) => ({ clusterIdOrArn: r.clusterIdOrArn, ...(r.engine ? { engine: r.engine } : {}) })),
          Number(now),
        );
      },
      { cache: false, cacheKeyFn: (r) => `${r.engine ?? ''}|${r.clusterIdOrArn}` },
    );
  });

  // DescribeAlarms: the names asked together in one region, in one call (the adapter pages them by
  // 100); each caller gets the alarms it named.
  const alarms = (deps as Partial<Pick<RunbookDeps, 'alarms'>>).alarms;
  const alarmLoaders = perKey(
    (region) =>
      new DataLoader<readonly string[], AlarmState[], readonly string[]>(
        async (calls) => {
          if (calls.length === 1 || !alarms)
            return settle(calls.map((names) => alarmStatesOf(region, names)));
          const found = await alarmStatesOf(region, [...new Set(calls.flat())]);
          return calls.map((names) => found.filter((a) => names.includes(a.name)));
        },
        { cache: false, cacheKeyFn: (names) => names },
      ),
  );
  const alarmStatesOf = (region: string, names: readonly string[]) => {
    if (!alarms) throw new Error('no CloudWatch alarms port');
    return alarms.alarmStates(region, names);
  };
  const alarmsDeps = alarms
    ? {
        alarms: Object.assign(Object.create(alarms) as typeof alarms, {
          alarmStates: (region: string, names: readonly string[]) => alarmLoaders(region).load(names),
        }),
      }
    : {};

  // DescribeWarmPool: paced per region (see WARM_POOL_PACE), when the deps' clock can wait.
  const clock = (deps as Partial<Pick<RunbookDeps, 'clock'>>).clock;
  const sleep = clock?.sleep?.bind(clock);
  const warmPoolPace = perKey(() => (clock && sleep ? pacer(clock, WARM_POOL_PACE) : undefined));

  return {
    ...deps,
    ...storeDeps,
    ...stepFunctionsDeps,
    ...alarmsDeps,
    aurora: Object.assign(Object.create(aurora) as typeof aurora, {
      describeGlobalCluster: (region: string, id: string) => globalClusters(region).load(id),
      describeCluster: (region: string, idOrArn: string) => clusters(region).load(idOrArn),
    }),
    ...(auroraLag
      ? {
          auroraLag: Object.assign(Object.create(auroraLag) as typeof auroraLag, {
            replicationLagMs: (region: string, clusterIdOrArn: string, now: number, engine?: AuroraEngine) =>
              lags(`${region}|${now}`).load({ clusterIdOrArn, engine }),
          }),
        }
      : {}),
    autoScaling: Object.assign(Object.create(autoScaling) as typeof autoScaling, {
      describe: (region: string, name: string, targetGroups?: readonly string[], read?: DescribeOptions) => {
        if (targetGroups && targetGroups.length > 0) targetGroupsOf.set(`${region}|${name}`, targetGroups);
        return (read?.targetHealth === false ? groupsAlone : groups)(region).load(name);
      },
      warmPool: async (region: string, name: string) => {
        const wait = warmPoolPace(region)?.();
        if (wait && sleep) await sleep(wait);
        return autoScaling.warmPool(region, name);
      },
    }),
    arc: Object.assign(Object.create(arc) as typeof arc, {
      getStates: (
        endpoints: readonly ArcClusterEndpoint[],
        arns: readonly string[],
        unreachable?: UnreachableRegions,
      ) => controls(endpoints, unreachable).load(arns),
    }),
  };
}

/**
 * A token bucket on `clock`: each call takes a token and answers how long (ms, on the clock) to
 * wait before its request, 0 while the burst lasts; later callers wait their turn at `perSecond`.
 */
function pacer(
  clock: Pick<Clock, 'now'>,
  { burst, perSecond }: { readonly burst: number; readonly perSecond: number },
): () => number {
  let tokens = burst;
  let at = clock.now();
  return () => {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - at) * perSecond) / 1000);
    at = now;
    tokens -= 1;
    return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / perSecond);
  };
}

/** Each promise's value, or its error (a batch function answers an Error for a failed key). */
async function settle<T>(promises: readonly Promise<T>[]): Promise<(T | Error)[]> {
  const outcomes = await Promise.allSettled(promises);
  return outcomes.map((o) =>
    o.status === 'fulfilled' ? o.value : o.reason instanceof Error ? o.reason : new Error(String(o.reason)),
  );
}

/** The identifier of a cluster ARN (`arn:aws:rds:REGION:ACCOUNT:cluster:ID`), else the key. */
function clusterIdOf(idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? (idOrArn.split(':')[6] ?? idOrArn) : idOrArn;
}
