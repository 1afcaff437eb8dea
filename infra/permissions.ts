import { ArnFormat, type Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Plan } from '../functions/core/plan.js';
import { STRATEGIES } from '../functions/core/records.js';
import {
  FUNCTIONS,
  type FunctionName,
  STATE_MACHINES,
  type StateMachineKey,
} from '../functions/handlers/registry.js';

/**
 * Least privilege for the control plane's functions. Each function gets the capabilities of its
 * role in FUNCTIONS, plus the one mutating capability its step needs; every mutating statement
 * names the plans' resources (never `*`), so a Switchyard role cannot touch a database, group,
 * zone or routing control that no plan lists.
 */

export type FunctionRole = (typeof FUNCTIONS)[number]['role'];

export type Capability =
  /** Read and conditionally write the state table (this region's replica; nothing is ever deleted). */
  | 'state'
  /** Put `switchyard` events on this region's default bus. */
  | 'events'
  /** Read-only calls on the plans' resources (describe clusters and groups, read routing, alarms). */
  | 'observe'
  /** Switch over, fail over or detach the plans' Aurora global clusters. */
  | 'promoteDatabase'
  /** Pilot light: add a reader instance to a headless secondary cluster before promotion. */
  | 'prepareDatabase'
  /** Resize the plans' Auto Scaling groups. */
  | 'scaleCapacity'
  /** Flip the plans' routing controls or Route 53 failover records. */
  | 'shiftTraffic'
  /** Start a runbook execution in a region of the plans (the region a failover activates). */
  | 'startRunbook'
  /** Answer approvals, stop and read executions of the plans' runbooks. */
  | 'controlRunbook'
  /** Start the detection wait (an alarm's `sustainSeconds`) in this region. */
  | 'startDetection'
  /** Start a DR drill in the region a plan is active in (scheduled, or requested by an operator). */
  | 'startDrill'
  /** Start a region evacuation in this region (the operator API that accepted it runs it). */
  | 'startEvacuation'
  /** Start this region's poller of parked waits (the first step that parks a shared wait). */
  | 'startPoller'
  /** Fence a returning old writer by deleting its instances (plans with `fenceReturningWriter`). */
  | 'fenceWriter'
  /** Answer a parked runbook step's task token with SendTaskSuccess (a wake-up; never a failure or a stop). */
  | 'wakeRunbook';

const ROLE_CAPABILITIES: Record<FunctionRole, readonly Capability[]> = {
  runbook: ['state', 'events', 'observe'],
  api: ['state', 'events', 'observe', 'startRunbook', 'controlRunbook', 'startDrill', 'startEvacuation'],
  detection: ['state', 'events', 'observe', 'startRunbook', 'startDetection'],
  // A drill's legs are graceful activations: it starts runbooks and reads their executions.
  drill: ['state', 'events', 'observe', 'startRunbook', 'startDrill'],
  // An evacuation requests each app's failover as the operator API does (lock, record, start the
  // runbook in the target region) and reads its records; it moves no writer and no capacity, but
  // it moves the traffic its apps' runbooks queued, many apps per call (traffic batching), and
  // wakes their parked steps from its shared reads of RDS and Auto Scaling (functions/evacuation/shared-reads.ts).
  evacuation: ['state', 'events', 'observe', 'startRunbook', 'shiftTraffic', 'wakeRunbook'],
  // The reconciler moves traffic to where the writer is and may fence a returning old writer.
  reconciler: ['state', 'events', 'observe', 'shiftTraffic', 'fenceWriter'],
  // Readiness only reads AWS; it keeps its results in the table and emits a change of verdict.
  readiness: ['state', 'events', 'observe'],
  // The waker reads the lock, the parked token and RDS, and answers the token; once a promotion
  // is done and the rest of the run ready, it moves the run's traffic first (STEP_CAPABILITIES).
  waker: ['state', 'observe', 'wakeRunbook'],
};

/**
 * Where each state machine of STATE_MACHINES may be started from a region's control plane:
 * `plan-regions` in any region of the plans that run here (a failover or a drill runs in the
 * region it concerns), `local` in this region only. Typed by key: a new machine must be placed.
 */
export const STATE_MACHINE_REACH: Record<StateMachineKey, 'plan-regions' | 'local'> = {
  'warm-standby': 'plan-regions',
  'pilot-light': 'plan-regions',
  detection: 'local',
  drill: 'plan-regions',
  evacuation: 'local',
  poller: 'local',
};

/** A value for each state machine of STATE_MACHINES, by key. */
export function perStateMachine<T>(
  value: (sm: (typeof STATE_MACHINES)[number]) => T,
): Record<StateMachineKey, T> {
  // Every key is set by the loop: STATE_MACHINES holds exactly the StateMachineKey values.
  const out = {} as Record<StateMachineKey, T>;
  for (const sm of STATE_MACHINES) out[sm.strategy] = value(sm);
  return out;
}

/** The state machine keys each start capability may start. */
const STARTS: Record<
  'startRunbook' | 'startDetection' | 'startDrill' | 'startEvacuation' | 'startPoller',
  readonly StateMachineKey[]
> = {
  startRunbook: STRATEGIES,
  startDetection: ['detection'],
  startDrill: ['drill'],
  startEvacuation: ['evacuation'],
  startPoller: ['poller'],
};

/** The mutating capability of a step, beyond its role's (docs/architecture.md, Runbooks). */
const STEP_CAPABILITIES: Partial<Record<FunctionName, readonly Capability[]>> = {
  PromoteDatabase: ['promoteDatabase'],
  PrepareDatabase: ['prepareDatabase'],
  ScaleCapacity: ['scaleCapacity'],
  // Scales the target's groups out while the approver decides (approvals.capacity: before-approval).
  RequestApproval: ['scaleCapacity'],
  // Graceful finish scales the old region down to its standby profile.
  FinishExecution: ['scaleCapacity'],
  // The failure path gives the target's capacity back when the writer never moved, and makes
  // traffic follow the writer where it safely can (functions/runbook/finish.ts, compensate).
  RecordFailure: ['scaleCapacity', 'shiftTraffic'],
  // An abort before the approval gives back the capacity the wait scaled out.
  OperatorApi: ['scaleCapacity'],
  ShiftTraffic: ['shiftTraffic'],
  // AwaitEvent answers its own token when what it waits for already happened, and starts its
  // region's poller of parked waits when many apps fail over into it; CheckCapacity wakes the
  // database branch parked on capacity.
  // The waker, and AwaitEvent when the promotion was over as it parked, move a run's traffic once
  // the promotion is done and the rest of the run ready (functions/runbook/wake-traffic.ts), as
  // ShiftTraffic would a moment later.
  AwaitEvent: ['wakeRunbook', 'shiftTraffic', 'startPoller'],
  // CheckCapacity also makes a graceful run's switchover as it reads the last group ready (the
  // database branch's gate, read and fenced), as PromoteDatabase would a moment later, and moves
  // the run's traffic when its group is the last resource to be ready, as ShiftTraffic would.
  CheckCapacity: ['wakeRunbook', 'promoteDatabase', 'shiftTraffic'],
  // CheckDatabase moves the run's traffic when its own read sees the promotion done and the rest of
  // the run ready, as the waker would.
  CheckDatabase: ['shiftTraffic'],
  // The waker also starts pilot light's promotion once it sees the new reader available (the
  // capacity gate read, fenced), as PromoteDatabase would a moment later.
  WakeOnEvent: ['shiftTraffic', 'promoteDatabase'],
  // The region poller (RunEvacuation's `poll-region`) watches pilot light's new readers and starts
  // the promotion as it sees one available (functions/evacuation/reader-watch.ts), as the waker does.
  RunEvacuation: ['promoteDatabase'],
};

/** What a function may do: its role's capabilities and its step's. */
export function capabilitiesOf(fn: {
  readonly name: FunctionName;
  readonly role: FunctionRole;
}): Capability[] {
  return [...new Set([...ROLE_CAPABILITIES[fn.role], ...(STEP_CAPABILITIES[fn.name] ?? [])])];
}

/** The AWS resources the plans of one region name, as IAM resource ARNs. */
export interface PlanResources {
  readonly globalClusters: readonly { readonly arn: string; readonly memberArns: readonly string[] }[];
  /** Pilot light clusters that PrepareDatabase may add a reader to, with what it may create. */
  readonly pilotLightReaders: {
    /** Member clusters, Switchyard-named instances in them, and the groups a create refers to. */
    readonly resources: readonly string[];
    readonly instanceClasses: readonly string[];
    readonly engines: readonly string[];
  };
  readonly autoScalingGroupArns: readonly string[];
  /** `arn:aws:rds:<region>:<account>:db:*` of the clusters whose plan lets the reconciler fence them. */
  readonly fenceableInstanceArns: readonly string[];
  /** The plans whose clusters the reconciler may fence (their instances carry `switchyard:app`). */
  readonly fenceableApps: readonly string[];
  readonly hostedZones: readonly {
    readonly arn: string;
    readonly recordNames: readonly string[];
    readonly recordTypes: readonly string[];
  }[];
  readonly healthCheckArns: readonly string[];
  /**
   * `arn:aws:route53:::healthcheck/*` when a plan here uses the health-checks method: readiness
   * reads their configuration (GetHealthCheck), and their IDs exist only once the global traffic
   * stack is deployed after this one. Empty otherwise.
   */
  readonly healthCheckConfigArns: readonly string[];
  /** `arn:aws:route53:::change/*`: change IDs are only known once a change is made. */
  readonly route53ChangesArn: string;
  readonly routingControlArns: readonly string[];
  readonly alarmArns: readonly string[];
}

/** The plans whose control plane runs in `region`. */
export function plansIn(plans: readonly Plan[], region: string): Plan[] {
  return plans.filter((p) => p.regions.includes(region));
}

/** Resource ARNs of the plans that run in the stack's region (members in every plan region). */
export function planResources(stack: Stack, plans: readonly Plan[], useArc: boolean): PlanResources {
  const local = plansIn(plans, stack.region);
  const arn = (
    service: string,
    region: string,
    resource: string,
    resourceName: string,
    sep = ArnFormat.SLASH_RESOURCE_NAME,
  ) => stack.formatArn({ service, region, account: stack.account, resource, resourceName, arnFormat: sep });
  const globalArn = (service: string, resource: string, resourceName: string) =>
    stack.formatArn({
      service,
      region: '',
      account: '',
      resource,
      resourceName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

  const zones = new Map<string, { names: Set<string>; types: Set<string> }>();
  for (const plan of local) {
    const r53 = plan.traffic.route53;
    if (!r53) continue;
    const zone = zones.get(r53.hostedZoneId) ?? { names: new Set(), types: new Set() };
    for (const record of r53.records) {
      zone.names.add(normalizedRecordName(record.name));
      zone.types.add(record.type);
    }
    zones.set(r53.hostedZoneId, zone);
  }

  return {
    globalClusters: local.flatMap((p) =>
      (p.database?.auroraGlobalClusters ?? []).map((c) => ({
        arn: arn('rds', '', 'global-cluster', c.globalClusterId, ArnFormat.COLON_RESOURCE_NAME),
        memberArns: Object.values(c.members),
      })),
    ),
    pilotLightReaders: pilotLightReaders(stack, local),
    fenceableApps: local
      .filter((p) =>
        (p.database?.auroraGlobalClusters ?? []).some((c) => c.fenceReturningWriter === 'remove-instances'),
      )
      .map((p) => p.name),
    fenceableInstanceArns: [
      ...new Set(
        local.flatMap((p) =>
          (p.database?.auroraGlobalClusters ?? [])
            .filter((c) => c.fenceReturningWriter === 'remove-instances')
            .flatMap((c) =>
              Object.values(c.members).map((member) => {
                const [, partition, , region, account] = member.split(':');
                return `arn:${partition}:rds:${region}:${account}:db:*`;
              }),
            ),
        ),
      ),
    ],
    autoScalingGroupArns: local.flatMap((p) =>
      (p.compute?.autoScalingGroups ?? []).flatMap((g) =>
        Object.entries(g.members).map(([region, name]) =>
          arn(
            'autoscaling',
            region,
            'autoScalingGroup',
            `*:autoScalingGroupName/${name}`,
            ArnFormat.COLON_RESOURCE_NAME,
          ),
        ),
      ),
    ),
    hostedZones: [...zones].map(([id, zone]) => ({
      arn: globalArn('route53', 'hostedzone', id),
      recordNames: [...zone.names].sort(),
      recordTypes: [...zone.types].sort(),
    })),
    healthCheckArns: unique(
      local.flatMap((p) =>
        (p.traffic.route53?.records ?? []).flatMap((r) =>
          Object.values(r.targets).flatMap((t) =>
            t.healthCheckId ? [globalArn('route53', 'healthcheck', t.healthCheckId)] : [],
          ),
        ),
      ),
    ),
    healthCheckConfigArns: local.some((p) => p.traffic.route53?.method === 'health-checks')
      ? [globalArn('route53', 'healthcheck', '*')]
      : [],
    route53ChangesArn: globalArn('route53', 'change', '*'),
    routingControlArns: useArc
      ? unique(local.flatMap((p) => Object.values(p.traffic.arc?.routingControls ?? {})))
      : [],
    alarmArns: unique(local.flatMap((p) => p.detection?.alarms ?? [])),
  };
}

/**
 * What PrepareDatabase may create: in each member region of a pilot light plan's clusters, an
 * instance named `<cluster>-switchyard-*` in that cluster, of the plan's reader class and engine.
 * CreateDBInstance is also authorized against the option, parameter and subnet groups the new
 * instance uses (inherited from the cluster, so not known here): those are allowed only within
 * the same class and engine condition.
 */
function pilotLightReaders(stack: Stack, plans: readonly Plan[]): PlanResources['pilotLightReaders'] {
  const clusters = plans
    .filter((p) => p.strategy === 'pilot-light')
    .flatMap((p) => p.database?.auroraGlobalClusters ?? []);
  const arn = (region: string, resource: string, resourceName: string) =>
    stack.formatArn({
      service: 'rds',
      region,
      resource,
      resourceName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  const members = clusters.flatMap((c) => Object.entries(c.members));
  const regions = unique(members.map(([region]) => region));
  return {
    resources: unique([
      ...members.flatMap(([region, clusterArn]) => [
        clusterArn,
        arn(region, 'db', `${clusterArn.split(':').pop() ?? ''}-switchyard-*`),
      ]),
      ...regions.flatMap((region) => ['og', 'pg', 'subgrp'].map((kind) => arn(region, kind, '*'))),
    ]),
    instanceClasses: unique(clusters.map((c) => c.readerInstanceClass)),
    engines: unique(clusters.map((c) => c.engine)),
  };
}

/** Route 53's normalized form for the record-name condition key: lower case, no trailing dot. */
export function normalizedRecordName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The resources of the control plane itself. */
export interface ControlPlaneResources {
  /** This region's replica of the state table. */
  readonly tableArn: string;
  /** Each state machine's ARNs (and `...:execution:<name>:*`) in the regions of its reach. */
  readonly stateMachines: Readonly<
    Record<StateMachineKey, { readonly arns: readonly string[]; readonly executionArns: readonly string[] }>
  >;
  readonly eventBusArn: string;
}

/** The IAM statements of one capability. Statements without a resource to act on are left out. */
export function statementsFor(
  capability: Capability,
  plan: PlanResources,
  own: ControlPlaneResources,
): PolicyStatement[] {
  const allow = (
    sid: string,
    actions: string[],
    resources: readonly string[],
    conditions?: Record<string, unknown>,
  ) =>
    resources.length === 0
      ? []
      : [
          new PolicyStatement({
            sid,
            effect: Effect.ALLOW,
            actions,
            resources: [...resources],
            ...(conditions ? { conditions } : {}),
          }),
        ];

  switch (capability) {
    case 'state':
      // Single-item reads, batched reads (BatchGetItem: the reconciler's, readiness's and the
      // console's reads of many apps' items) and conditional writes (docs/state-store.md). No
      // DeleteItem: nothing is deleted but by a retention policy; no Scan; the table has no
      // indexes, so no index ARNs.
      return allow(
        'StateTableItems',
        [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:Query',
        ],
        [own.tableArn],
      );
    case 'events':
      return allow('PutSwitchyardEvents', ['events:PutEvents'], [own.eventBusArn], {
        StringEquals: { 'events:source': 'switchyard' },
      });
    case 'observe':
      return [
        // Describe calls return configuration and status only; resource-level scoping of them
        // would break describe calls made without an identifier filter, and grants no write.
        ...allow(
          'DescribeAurora',
          ['rds:DescribeGlobalClusters', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances'],
          ['*'],
        ),
        // Auto Scaling's Describe calls support no resource-level permission at all.
        ...allow(
          'DescribeAutoScaling',
          [
            'autoscaling:DescribeAutoScalingGroups',
            'autoscaling:DescribeScalingActivities',
            'autoscaling:DescribeWarmPool',
          ],
          ['*'],
        ),
        // Target health (a group's instances serve only once their load balancer says healthy);
        // ELB's Describe calls support no resource-level permission either.
        ...allow('DescribeTargetHealth', ['elasticloadbalancing:DescribeTargetHealth'], ['*']),
        ...allow(
          'ReadRoute53Records',
          ['route53:ListResourceRecordSets'],
          plan.hostedZones.map((z) => z.arn),
        ),
        ...(plan.hostedZones.length > 0
          ? allow('ReadRoute53Changes', ['route53:GetChange'], [plan.route53ChangesArn])
          : []),
        ...allow('ReadRoute53HealthChecks', ['route53:GetHealthCheckStatus'], plan.healthCheckArns),
        // Readiness: the health-checks method's records carry health checks that must exist.
        ...allow('ReadHealthCheckConfigs', ['route53:GetHealthCheck'], plan.healthCheckConfigArns),
        ...allow(
          'ReadRoutingControls',
          ['route53-recovery-cluster:GetRoutingControlState'],
          plan.routingControlArns,
        ),
        ...allow('DescribePlanAlarms', ['cloudwatch:DescribeAlarms'], plan.alarmArns),
        // Readiness: the runbooks of every plan region answer (DescribeStateMachine, read-only).
        ...allow(
          'DescribeRunbooks',
          ['states:DescribeStateMachine'],
          STARTS.startRunbook.flatMap((k) => own.stateMachines[k].arns),
        ),
        // GetMetricData supports no resource-level permission; it is read-only.
        ...allow('ReadMetrics', ['cloudwatch:GetMetricData'], ['*']),
      ];
    case 'promoteDatabase':
      return allow(
        'PromoteAuroraGlobalClusters',
        ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster', 'rds:RemoveFromGlobalCluster'],
        plan.globalClusters.flatMap((c) => [c.arn, ...c.memberArns]),
      );
    case 'prepareDatabase':
      return allow('AddPilotLightReaders', ['rds:CreateDBInstance'], plan.pilotLightReaders.resources, {
        StringEquals: {
          'rds:DatabaseClass': [...plan.pilotLightReaders.instanceClasses],
          'rds:DatabaseEngine': [...plan.pilotLightReaders.engines],
        },
      });
    case 'fenceWriter':
      // Instances of the opted-in plans' member clusters, by their regions and accounts: an
      // instance ARN does not name its cluster, and RDS has no condition key for it.
      // Only instances tagged `switchyard:app` with an opted-in plan's name (the README says to tag
      // them): `db:*` alone would reach every instance of those accounts and regions.
      return allow('FenceReturningWriters', ['rds:DeleteDBInstance'], plan.fenceableInstanceArns, {
        StringEquals: { 'aws:ResourceTag/switchyard:app': [...plan.fenceableApps] },
      });
    case 'scaleCapacity':
      return allow(
        'ScalePlanAutoScalingGroups',
        ['autoscaling:UpdateAutoScalingGroup'],
        plan.autoScalingGroupArns,
      );
    case 'shiftTraffic':
      return [
        ...allow(
          'UpdateRoutingControls',
          [
            'route53-recovery-cluster:UpdateRoutingControlState',
            'route53-recovery-cluster:UpdateRoutingControlStates',
          ],
          plan.routingControlArns,
        ),
        // One statement per zone: only that zone's plan records, only the swap's actions and types
        // (CREATE: the change is first tried as DELETE + CREATE, `setPrimary`'s `swapFirst`; it
        // creates nothing UPSERT could not).
        ...plan.hostedZones.flatMap((zone, i) =>
          allow(`ChangePlanRecords${i}`, ['route53:ChangeResourceRecordSets'], [zone.arn], {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [...zone.recordNames],
              'route53:ChangeResourceRecordSetsRecordTypes': [...zone.recordTypes],
              'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT', 'DELETE'],
            },
          }),
        ),
      ];
    case 'startRunbook':
    case 'startDetection':
    case 'startDrill':
    case 'startEvacuation':
    case 'startPoller': {
      const keys = STARTS[capability];
      const name = {
        startRunbook: 'Runbook',
        startDetection: 'Detection',
        startDrill: 'Drill',
        startEvacuation: 'Evacuation',
        startPoller: 'Poller',
      }[capability];
      return [
        ...allow(
          `Start${name}s`,
          ['states:StartExecution'],
          keys.flatMap((k) => own.stateMachines[k].arns),
        ),
        // A retried start reads the execution it may already have started (same name, same input).
        ...allow(
          `Read${name}Executions`,
          ['states:DescribeExecution'],
          keys.flatMap((k) => own.stateMachines[k].executionArns),
        ),
      ];
    }
    case 'wakeRunbook':
      return allow(
        'WakeParkedRunbookSteps',
        ['states:SendTaskSuccess'],
        STARTS.startRunbook.flatMap((k) => own.stateMachines[k].arns),
      );
    case 'controlRunbook': {
      const runbooks = STARTS.startRunbook.map((k) => own.stateMachines[k]);
      return [
        ...allow(
          'AnswerRunbookApprovals',
          ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          runbooks.flatMap((m) => m.arns),
        ),
        ...allow(
          'ControlRunbookExecutions',
          ['states:StopExecution', 'states:DescribeExecution'],
          runbooks.flatMap((m) => m.executionArns),
        ),
      ];
    }
  }
}

/** Every statement of one function, merged across its capabilities. */
export function functionStatements(
  fn: { readonly name: FunctionName; readonly role: FunctionRole },
  plan: PlanResources,
  own: ControlPlaneResources,
): PolicyStatement[] {
  return capabilitiesOf(fn).flatMap((capability) => statementsFor(capability, plan, own));
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** The function entries of the registry, typed for this module. */
export const REGISTERED_FUNCTIONS: readonly {
  readonly name: FunctionName;
  readonly entry: string;
  readonly role: FunctionRole;
}[] = FUNCTIONS;
