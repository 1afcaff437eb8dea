import { type AwsClients, createAwsClients } from '../functions/aws/clients.js';
import { EVENT_SOURCE } from '../functions/aws/events.js';
import '../functions/core/polyfills.js';
import { initialPrimary, type Plan } from '../functions/core/plan.js';
import { type Random, seededRandom } from '../functions/core/random.js';
import { buildRunbookDeps } from '../functions/handlers/deps.js';
import { KEEP_WARM_MINUTES, KEEP_WARM_SOURCE } from '../functions/handlers/keep-warm.js';
import { FUNCTIONS, KEEP_WARM_FUNCTIONS, STATE_MACHINES } from '../functions/handlers/registry.js';
import { READINESS_EVERY_MINUTES } from '../functions/readiness/readiness.js';
import { RECONCILE_EVERY_MINUTES } from '../functions/reconciler/reconcile.js';
import type { RunbookDeps } from '../functions/runbook/context.js';
import { FINISHED_EVENT } from '../functions/runbook/finish.js';
import { WAKE_DETAIL_TYPES, WAKE_EVENT_IDS } from '../functions/runbook/wake-signal.js';
import { answerHealth } from '../functions/traffic/health-endpoint.js';
import { deployOperatorApi } from './api-gateway.js';
import type { BusEvent } from './aws/eventbridge.js';
import { VirtualClock } from './clock.js';
import { DrillSchedules } from './drill-schedules.js';
import { type LocalDynamo, SANDBOX_CREDENTIALS, startLocalDynamo } from './dynamo.js';
import { LATENCY_PROFILES, type LatencyProfile, type LatencyProfileName } from './latency.js';
import type { QuotaLimit } from './quotas.js';
import { RUNBOOK_HANDLERS } from './runtime/handlers.js';
import { loadInterpreter } from './runtime/interpreter.js';
import { LambdaRuntime } from './runtime/lambda.js';
import { loadDefinition, SimulatedStepFunctions } from './runtime/step-functions.js';
import { createSimulatedAws, type SimulatedAws } from './world.js';

export interface SandboxOptions {
  readonly plans: readonly Plan[];
  readonly latency?: LatencyProfileName | LatencyProfile;
  /** Seeds every random choice (jitter, endpoint shuffles): the same seed, the same run. */
  readonly seed?: number;
  /**
   * Discrete (simulate, tests) by default; the interactive sandbox paces it against real time. Its
   * epoch (`clock.start`) is when the simulated AWS was deployed: the drill schedules count from it.
   */
  readonly clock?: VirtualClock;
  /** API quotas other than the modelled ones, by quota id (a scenario's `quotas`). */
  readonly quotas?: Readonly<Record<string, QuotaLimit>>;
}

/** One simulated region's control plane: its clients (through the simulator) and step deps. */
export interface RegionControlPlane {
  readonly region: string;
  readonly clients: AwsClients;
  readonly deps: RunbookDeps;
}

/**
 * The whole of Switchyard on one machine: the simulated AWS of the plans' regions, dynalite as
 * DynamoDB, and in every region the control plane (the same handlers and state machine
 * definitions that CDK deploys), wired through the one client factory.
 */
export class Sandbox {
  readonly regions = new Map<string, RegionControlPlane>();
  /** The plans' drill schedules on the virtual clock (set once the control planes exist). */
  drillSchedules: DrillSchedules | undefined;
  /** The invokes of the scheduled duties (reconciler, readiness) still running. */
  private readonly duties = new Set<Promise<unknown>>();

  private constructor(
    readonly plans: readonly Plan[],
    readonly clock: VirtualClock,
    readonly random: Random,
    readonly latency: LatencyProfile,
    readonly aws: SimulatedAws,
    readonly dynamo: LocalDynamo,
    readonly lambda: LambdaRuntime,
    readonly stepFunctions: SimulatedStepFunctions,
  ) {}

  static async start(options: SandboxOptions): Promise<Sandbox> {
    quietLambdaEnvironment();
    const latency =
      typeof options.latency === 'object'
        ? options.latency
        : LATENCY_PROFILES[options.latency ?? 'realistic'];
    const clock = options.clock ?? new VirtualClock();
    const seed = options.seed ?? 1;
    const random = seededRandom(seed);
    const aws = createSimulatedAws(options.plans, {
      clock,
      random,
      latency,
      ...(options.quotas ? { quotas: options.quotas } : {}),
    });
    const dynamo = await startLocalDynamo();
    const lambda = new LambdaRuntime({ clock, latency, faults: aws.faults });
    const stepFunctions = new SimulatedStepFunctions(aws.ctx, loadInterpreter(clock, random), lambda);
    aws.simulator.register(stepFunctions);
    const sandbox = new Sandbox(options.plans, clock, random, latency, aws, dynamo, lambda, stepFunctions);

    const regions = [...new Set(options.plans.flatMap((p) => p.regions))].sort();
    regions.forEach((region, index) => {
      const clients = createAwsClients({
        interceptor: aws.simulator,
        dynamodbEndpoint: dynamo.endpoint,
        credentials: SANDBOX_CREDENTIALS,
      });
      const known = (name: string) => FUNCTIONS.some((f) => f.name === name);
      const stateMachineArns: RunbookDeps['stateMachineArns'] = {};
      for (const machine of STATE_MACHINES) {
        stateMachineArns[machine.strategy] = stepFunctions.deploy(
          region,
          machine.name,
          loadDefinition(machine.file, region, known),
        ).arn;
      }
      const deps = buildRunbookDeps({
        region,
        plans: options.plans,
        clients,
        tableName: dynamo.tableName,
        clock,
        // Each region draws from its own seeded stream, so one region's calls never shift another's.
        random: seededRandom(seed * 1_000 + index + 1),
        stateMachineArns,
      });
      for (const [name, make] of Object.entries(RUNBOOK_HANDLERS)) lambda.register(region, name, make(deps));
      sandbox.regions.set(region, { region, clients, deps });
    });

    // The health-checks traffic method's endpoints: each region's function URL runs the same use
    // case as in AWS, against that region's control plane (its replica of the state table).
    aws.route53.serveHealthEndpoints(async (region, path) => {
      const plane = sandbox.regions.get(region);
      return plane ? (await answerHealth(path, plane.deps)).statusCode : 503;
    });

    // CloudWatch alarm state changes reach EventBridge in the alarm's region, whose rule invokes
    // that region's EvaluateAlarm (a region that is down delivers nothing).
    aws.cloudWatch.onAlarmStateChange((change) => {
      if (aws.faults.isRegionDown(change.region) || !sandbox.regions.has(change.region)) return;
      const event = {
        version: '0',
        id: `sandbox-alarm-${change.at}`,
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        account: '111111111111',
        time: new Date(change.at).toISOString(),
        region: change.region,
        resources: [change.alarmArn],
        detail: {
          alarmName: change.alarmName,
          state: { value: change.state, reason: change.reason },
          previousState: { value: change.previousState },
        },
      };
      void clock
        .sleep(latency.apiMs.events)
        .then(() => lambda.invoke(change.region, 'EvaluateAlarm', event))
        .catch(() => undefined);
    });

    // The reconciler's rules, simulated: every minute in every region that is up, and at once for
    // the app of an execution that ended FAILED or ABORTED (infra/constructs/reconciler-schedule.ts).
    const reconcileEverywhere = () => {
      for (const region of sandbox.regions.keys()) {
        if (aws.faults.isRegionDown(region)) continue;
        sandbox.duty(
          lambda.invoke(region, 'Reconcile', { source: 'aws.events', 'detail-type': 'Scheduled Event' }),
        );
      }
      clock.setTimer(RECONCILE_EVERY_MINUTES * 60_000, reconcileEverywhere);
    };
    aws.eventBridge.onEvent((event) => {
      const status = event.detail.status;
      if (event.source !== EVENT_SOURCE || event.detailType !== FINISHED_EVENT) return;
      if (status !== 'FAILED' && status !== 'ABORTED') return;
      if (aws.faults.isRegionDown(event.region)) return;
      void clock
        .sleep(latency.apiMs.events)
        .then(() =>
          lambda.invoke(event.region, 'Reconcile', {
            source: event.source,
            'detail-type': event.detailType,
            detail: event.detail,
          }),
        )
        .catch(() => undefined);
    });

    // The waker's rule (infra/constructs/wake-rule.ts), simulated: RDS's global switchover and
    // failover events and its instance-created event invoke that region's WakeOnEvent, after the
    // delay AWS takes to deliver a service event (none is delivered under `service-events-lost`).
    aws.eventBridge.onEvent((event) => {
      if (!isWakeEvent(event) || !sandbox.regions.has(event.region)) return;
      const envelope = {
        version: '0',
        id: event.id ?? `sandbox-event-${event.at}`,
        'detail-type': event.detailType,
        source: event.source,
        account: '111111111111',
        time: new Date(event.at).toISOString(),
        region: event.region,
        resources: event.resources ?? [],
        detail: event.detail,
      };
      void clock
        .sleep(latency.eventBridge.serviceEventDelayMs)
        .then(() => lambda.invoke(event.region, 'WakeOnEvent', envelope))
        .catch(() => undefined);
    });

    // The readiness rule, simulated: every 5 minutes in every region that is up
    // (infra/constructs/readiness-schedule.ts).
    const evaluateEverywhere = () => {
      for (const region of sandbox.regions.keys()) {
        if (aws.faults.isRegionDown(region)) continue;
        sandbox.duty(
          lambda.invoke(region, 'Readiness', { source: 'aws.events', 'detail-type': 'Scheduled Event' }),
        );
      }
      clock.setTimer(READINESS_EVERY_MINUTES * 60_000, evaluateEverywhere);
    };

    // Each region's operator API behind its API Gateway (sandbox/api-gateway.ts): the HTTP server
    // and scenario requests invoke it there.
    deployOperatorApi(sandbox);

    // The deployed keep-warm rule, simulated: step functions start warm and stay warm; the
    // operator API, which the rule leaves out, starts cold.
    lambda.keepWarm({ source: KEEP_WARM_SOURCE }, KEEP_WARM_MINUTES, KEEP_WARM_FUNCTIONS);

    // Every app starts ACTIVE in its first region, as the simulated AWS was provisioned.
    await sandbox.run(
      Promise.all(
        options.plans.map((plan) =>
          sandbox.region(initialPrimary(plan)).deps.store.initState(plan.name, initialPrimary(plan)),
        ),
      ),
    );
    // The reconciler's and readiness' rate rules start once the sandbox is ready: "A rate expression
    // starts when you create the scheduled event rule, and then it runs on a defined schedule"
    // (Amazon EventBridge User Guide, "Rate expressions reference",
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html), and the
    // sandbox's rules exist from this instant, a scenario's `at: 0`, not from before the start-up's
    // writes. Phased from the clock's epoch instead, every firing came that much early (the
    // start-up's virtual time, which grows with the apps), so one due at a run's last instant ran
    // partly or not at all depending on how long the start-up took: 11 or 12 readiness
    // evaluations in an hour. Now the k-th pass is at exactly k periods after `at: 0`, and
    // `simulate` lets the passes due at its last instant end (dutiesSettled).
    clock.setTimer(RECONCILE_EVERY_MINUTES * 60_000, reconcileEverywhere);
    clock.setTimer(READINESS_EVERY_MINUTES * 60_000, evaluateEverywhere);
    // The plans' drill schedules (EventBridge Scheduler in AWS): RunDrill on each plan's cron, from
    // the clock's epoch, once every app has its state.
    sandbox.drillSchedules = new DrillSchedules(options.plans, { clock, lambda, faults: aws.faults });
    aws.truth.start();
    return sandbox;
  }

  /** The control plane of `region`. */
  region(region: string): RegionControlPlane {
    const plane = this.regions.get(region);
    if (!plane)
      throw new Error(
        `no control plane in ${region}; the sandbox runs ${[...this.regions.keys()].join(', ')}`,
      );
    return plane;
  }

  /** Keeps a scheduled duty's invoke until it ends (its failure is the function's own: ignored). */
  private duty(invoke: Promise<unknown>): void {
    const running = invoke.catch(() => undefined).finally(() => this.duties.delete(running));
    this.duties.add(running);
  }

  /**
   * Settles once every scheduled duty (reconciler pass, readiness evaluation) started so far has
   * ended: `simulate` waits for it at a run's end, so that a pass due at the run's last instant
   * is whole (a run of an hour holds 12 readiness evaluations, at 300 s to 3,600 s, and 60
   * reconciler passes), never cut part-way. Bounded by the functions' timeout.
   */
  async dutiesSettled(): Promise<void> {
    while (this.duties.size > 0) await Promise.all([...this.duties]);
  }

  /** Waits for `work`: a discrete clock is driven until it settles; a paced one runs by itself. */
  run<T>(work: Promise<T>, limitMs?: number): Promise<T> {
    return this.clock.mode.kind === 'discrete' ? this.clock.runFor(work, limitMs) : work;
  }

  async close(): Promise<void> {
    this.clock.dispose();
    await this.dynamo.close();
  }
}

/**
 * The environment the sandbox's functions see, unless the caller set it: Powertools logs and EMF
 * metrics off (they would be interleaved with the CLI's own output; `SWITCHYARD_LOG_LEVEL=INFO`
 * turns logs on), tracing off (there is no X-Ray daemon).
 */
function quietLambdaEnvironment(): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= process.env.SWITCHYARD_LOG_LEVEL ?? 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
}

/** Whether the waker's rule matches `event`: its pattern (infra/constructs/wake-rule.ts), in code. */
export function isWakeEvent(event: BusEvent): boolean {
  return (
    event.source === 'aws.rds' &&
    (WAKE_DETAIL_TYPES as readonly string[]).includes(event.detailType) &&
    (Object.values(WAKE_EVENT_IDS) as string[]).includes(String(event.detail.EventID))
  );
}
