import { join } from 'node:path';
import { ArnFormat, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV } from '../functions/handlers/environment.js';
import { KEEP_WARM_MINUTES, KEEP_WARM_SOURCE } from '../functions/handlers/keep-warm.js';
import {
  FUNCTIONS,
  type FunctionName,
  KEEP_WARM_FUNCTIONS,
  STATE_MACHINES,
  type StateMachineKey,
} from '../functions/handlers/registry.js';
import { READINESS_EVERY_MINUTES } from '../functions/readiness/readiness.js';
import { RECONCILE_EVERY_MINUTES } from '../functions/reconciler/reconcile.js';
import type { Deployment } from './config.js';
import { AlarmDetection } from './constructs/alarm-detection.js';
import { ConsoleSite } from './constructs/console-site.js';
import { ControlPlaneFunction } from './constructs/control-plane-function.js';
import { DrillSchedules } from './constructs/drill-schedules.js';
import { KeepWarm } from './constructs/keep-warm.js';
import { OperatorApi } from './constructs/operator-api.js';
import { ReadinessSchedule } from './constructs/readiness-schedule.js';
import { ReconcilerSchedule } from './constructs/reconciler-schedule.js';
import { ControlPlaneStateMachine, stateMachineName } from './constructs/state-machine.js';
import { StateTable } from './constructs/state-table.js';
import { TrafficHealth } from './constructs/traffic-health.js';
import { WakeRule } from './constructs/wake-rule.js';
import { HANDLERS_DIR } from './paths.js';
import {
  type ControlPlaneResources,
  functionStatements,
  perStateMachine,
  planResources,
  plansIn,
  STATE_MACHINE_REACH,
} from './permissions.js';

/** The function the drill schedules invoke with a `DrillScheduleEvent` (constructs/drill-schedules.ts). */
export const DRILL_FUNCTION: FunctionName = 'RunDrill';

export interface ControlPlaneStackProps extends StackProps {
  readonly deployment: Deployment;
  readonly account: string;
  readonly region: string;
  /**
   * Test-only: the entry file of a function. Default: `functions/handlers/<entry>` from FUNCTIONS.
   */
  readonly entryFor?: (fn: (typeof FUNCTIONS)[number]) => string;
}

/** The entry file of each function: `functions/handlers/<entry>` unless a test says otherwise. */
export function entryOf(
  fn: (typeof FUNCTIONS)[number],
  entryFor?: ControlPlaneStackProps['entryFor'],
): string {
  return entryFor?.(fn) ?? join(HANDLERS_DIR, fn.entry);
}

/** Stack name of a region's control plane. */
export const controlPlaneStackName = (region: string): string => `Switchyard-ControlPlane-${region}`;

/**
 * The whole control plane of one region (docs/architecture.md, Regions and static stability): the step functions, the state machines
 * (runbooks, detection wait), the operator API, alarm detection, drill schedules and this region's
 * replica of the state table. A
 * failover into this region needs nothing from any other region's stack.
 */
export class ControlPlaneStack extends Stack {
  readonly functions: ReadonlyMap<FunctionName, ControlPlaneFunction>;
  readonly stateMachines: readonly ControlPlaneStateMachine[];
  readonly stateTable: StateTable;
  readonly operatorApi: OperatorApi;
  readonly console: ConsoleSite;
  readonly alarmDetection?: AlarmDetection;
  /** RDS's events that wake parked runbook steps (plans with Aurora clusters in this region). */
  readonly wakeRule?: WakeRule;
  readonly drills: DrillSchedules;
  readonly keepWarm: KeepWarm;
  readonly reconciler: ReconcilerSchedule;
  readonly readiness: ReadinessSchedule;
  /** The health-checks traffic method's endpoint and checks, when a plan here uses it. */
  readonly trafficHealth?: TrafficHealth;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.account, region: props.region },
      description: `Switchyard control plane for ${props.region}: runbooks, step functions, operator API, state replica`,
    });
    const { deployment } = props;
    const { config } = deployment;
    const region = props.region;

    this.stateTable = new StateTable(this, 'StateTable', {
      tableName: config.stateTable.name,
      regions: deployment.regions,
      tableRegion: deployment.tableRegion,
      consistency: config.stateTable.consistency,
      witnessRegion: config.stateTable.witnessRegion,
    });

    // The state machines' ARNs from their fixed names: functions need them and the state machines
    // need the functions' ARNs, so a reference either way would be a cycle.
    const stateMachineArns = Object.fromEntries(
      STATE_MACHINES.map((sm) => [
        sm.strategy,
        this.formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: stateMachineName(sm.name),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ]),
    );
    // IAM: runbooks and drills in every region of this region's plans (a failover or a drill runs
    // in the region it concerns); the detection wait only here.
    const planRegions = [...new Set(plansIn(deployment.plans, region).flatMap((p) => p.regions))];
    const arnOf = (name: string, where: string, resource: 'stateMachine' | 'execution') =>
      this.formatArn({
        service: 'states',
        region: where,
        resource,
        resourceName: resource === 'execution' ? `${stateMachineName(name)}:*` : stateMachineName(name),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const reach = (key: StateMachineKey) => (STATE_MACHINE_REACH[key] === 'local' ? [region] : planRegions);
    const own: ControlPlaneResources = {
      tableArn: this.stateTable.tableArn,
      stateMachines: perStateMachine((sm) => ({
        arns: reach(sm.strategy).map((r) => arnOf(sm.name, r, 'stateMachine')),
        executionArns: reach(sm.strategy).map((r) => arnOf(sm.name, r, 'execution')),
      })),
      eventBusArn: this.formatArn({
        service: 'events',
        resource: 'event-bus',
        resourceName: 'default',
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    };
    const environment = {
      [ENV.tableName]: this.stateTable.tableName,
      [ENV.stateMachineArns]: this.toJsonString(stateMachineArns),
      [ENV.eventBusName]: 'default',
    };
    const resources = planResources(this, deployment.plans, config.useArc);
    const logRetention = config.logRetentionDays;

    // Every function of the stack is built in one child process at synth, at the first of them.
    const healthCheckPlans = plansIn(deployment.plans, region).filter(
      (p) => p.traffic.route53?.method === 'health-checks',
    );
    const healthEntry = join(HANDLERS_DIR, 'traffic-health.ts');
    const buildBatch = [
      ...FUNCTIONS.map((fn) => entryOf(fn, props.entryFor)),
      ...(healthCheckPlans.length > 0 ? [healthEntry] : []),
    ];
    const functions = new Map<FunctionName, ControlPlaneFunction>();
    for (const fn of FUNCTIONS) {
      const entry = entryOf(fn, props.entryFor);
      functions.set(
        fn.name,
        new ControlPlaneFunction(this, fn.name, {
          name: fn.name,
          entry,
          embeddedPlans: deployment.plans,
          buildBatch,
          environment:
            fn.name === 'OperatorApi' && config.operatorApi.breakGlass
              ? { ...environment, [ENV.iamRoles]: JSON.stringify(config.operatorApi.breakGlass.iamRoles) }
              : environment,
          logRetention,
          statements: functionStatements(fn, resources, own),
        }),
      );
    }
    this.functions = functions;
    const lambdaOf = (name: FunctionName): IFunction => {
      const fn = functions.get(name);
      if (!fn) throw new Error(`${name} is not in FUNCTIONS (functions/handlers/registry.ts)`);
      return fn.function;
    };
    const lambdas = new Map([...functions].map(([name, fn]) => [name, fn.function as IFunction]));

    this.stateMachines = STATE_MACHINES.map(
      (sm) =>
        new ControlPlaneStateMachine(this, sm.name, {
          name: sm.name,
          file: sm.file,
          functions: lambdas,
          logRetention,
        }),
    );

    const jwt = config.operatorApi.jwtAuthorizer;
    this.console = new ConsoleSite(this, 'Console', {
      config: {
        auth: {
          mode: 'oidc',
          issuer: jwt.issuer,
          clientId: config.operatorApi.console?.clientId ?? (jwt.audience[0] as string),
          ...(config.operatorApi.console?.scope ? { scope: config.operatorApi.console.scope } : {}),
        },
        region,
      },
      logRetention,
    });
    this.operatorApi = new OperatorApi(this, 'OperatorHttpApi', {
      console: this.console.function,
      handler: lambdaOf('OperatorApi'),
      jwt: config.operatorApi.jwtAuthorizer,
      throttle: config.operatorApi.throttle,
      logRetention,
      ...(config.operatorApi.breakGlass ? { breakGlass: config.operatorApi.breakGlass } : {}),
    });

    const localAlarms = resources.alarmArns.filter((arn) => arn.split(':')[3] === region);
    if (localAlarms.length > 0) {
      this.alarmDetection = new AlarmDetection(this, 'AlarmDetection', {
        alarmArns: localAlarms,
        handler: lambdaOf('EvaluateAlarm'),
      });
    }

    const localClusters = resources.globalClusters
      .flatMap((c) => c.memberArns)
      .filter((arn) => arn.split(':')[3] === region);
    if (localClusters.length > 0) {
      this.wakeRule = new WakeRule(this, 'WakeRule', {
        clusterArns: localClusters,
        handler: lambdaOf('WakeOnEvent'),
      });
    }

    this.drills = new DrillSchedules(this, 'DrillSchedules', {
      plans: plansIn(deployment.plans, region),
      handler: lambdaOf(DRILL_FUNCTION),
    });

    if (healthCheckPlans.length > 0) {
      this.trafficHealth = new TrafficHealth(this, 'TrafficHealth', {
        plans: healthCheckPlans,
        entry: healthEntry,
        embeddedPlans: deployment.plans,
        buildBatch,
        environment,
        logRetention,
        tableArn: this.stateTable.tableArn,
      });
    }

    this.reconciler = new ReconcilerSchedule(this, 'Reconciler', {
      handler: lambdaOf('Reconcile'),
      everyMinutes: RECONCILE_EVERY_MINUTES,
    });

    this.readiness = new ReadinessSchedule(this, 'ReadinessSchedule', {
      handler: lambdaOf('Readiness'),
      everyMinutes: READINESS_EVERY_MINUTES,
    });

    // Every function but the operator API answers a keep-warm ping (functions/handlers/step-handler.ts);
    // the API has its own middy chain and would answer the ping with a 400.
    this.keepWarm = new KeepWarm(this, 'KeepWarm', {
      functions: KEEP_WARM_FUNCTIONS.map((name) => lambdaOf(name)),
      everyMinutes: KEEP_WARM_MINUTES,
      source: KEEP_WARM_SOURCE,
    });

    new CfnOutput(this, 'ConsoleUrl', {
      value: `${this.operatorApi.url}/`,
      description: "The operator console, served by this region's stack on the operator API's origin",
    });
    new CfnOutput(this, 'OperatorApiUrl', {
      value: this.operatorApi.url,
      description: 'Operator API base URL',
    });
    if (this.operatorApi.breakGlassApi) {
      new CfnOutput(this, 'BreakGlassApiUrl', {
        value: this.operatorApi.breakGlassApi.apiEndpoint,
        description: 'Break-glass operator API (SigV4, AWS_IAM): switchyard --auth iam --api URL --region R',
      });
    }
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.tableName });
    for (const machine of this.stateMachines) {
      new CfnOutput(this, `${machine.node.id}Arn`, { value: machine.stateMachine.stateMachineArn });
    }
  }
}
