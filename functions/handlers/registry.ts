/**
 * Every Lambda function of the control plane: its logical name (the `${<Name>FunctionArn}`
 * placeholder in the ASL, the construct ID in CDK, the step name in reports and `lambda-crash`
 * faults) and its entry file. CDK bundles by entry path; the sandbox imports the same modules.
 */
export const FUNCTIONS = [
  { name: 'BeginExecution', entry: 'begin-execution.ts', role: 'runbook' },
  // The Catch of BeginExecution: releases the lock and closes the record of a Begin that failed.
  { name: 'AbandonExecution', entry: 'abandon-execution.ts', role: 'runbook' },
  { name: 'Preflight', entry: 'preflight.ts', role: 'runbook' },
  { name: 'RequestApproval', entry: 'request-approval.ts', role: 'runbook' },
  { name: 'PrepareDatabase', entry: 'prepare-database.ts', role: 'runbook' },
  { name: 'CheckPrepare', entry: 'check-prepare.ts', role: 'runbook' },
  { name: 'PromoteDatabase', entry: 'promote-database.ts', role: 'runbook' },
  { name: 'CheckDatabase', entry: 'check-database.ts', role: 'runbook' },
  { name: 'ScaleCapacity', entry: 'scale-capacity.ts', role: 'runbook' },
  { name: 'CheckCapacity', entry: 'check-capacity.ts', role: 'runbook' },
  // Parks a step on a task token until an event (or the capacity branch) wakes it, or its timeout.
  { name: 'AwaitEvent', entry: 'await-event.ts', role: 'runbook' },
  { name: 'ShiftTraffic', entry: 'shift-traffic.ts', role: 'runbook' },
  { name: 'CheckTraffic', entry: 'check-traffic.ts', role: 'runbook' },
  { name: 'VerifyService', entry: 'verify-service.ts', role: 'runbook' },
  { name: 'FinishExecution', entry: 'finish-execution.ts', role: 'runbook' },
  { name: 'RecordFailure', entry: 'record-failure.ts', role: 'runbook' },
  { name: 'OperatorApi', entry: 'operator-api.ts', role: 'api' },
  { name: 'EvaluateAlarm', entry: 'evaluate-alarm.ts', role: 'detection' },
  { name: 'RunDrill', entry: 'run-drill.ts', role: 'drill' },
  { name: 'RunEvacuation', entry: 'run-evacuation.ts', role: 'evacuation' },
  { name: 'Reconcile', entry: 'reconcile.ts', role: 'reconciler' },
  { name: 'Readiness', entry: 'readiness.ts', role: 'readiness' },
  // The EventBridge rule's target on RDS's global switchover/failover and instance-created events.
  { name: 'WakeOnEvent', entry: 'wake-on-event.ts', role: 'waker' },
] as const;

export type FunctionName = (typeof FUNCTIONS)[number]['name'];

/**
 * The functions the keep-warm rule pings (functions/handlers/keep-warm.ts): every one but the
 * operator API, whose own middy chain would answer the ping with a 400. CDK deploys the rule with
 * these; the sandbox simulates it with these.
 */
export const KEEP_WARM_FUNCTIONS: readonly FunctionName[] = FUNCTIONS.filter((fn) => fn.role !== 'api').map(
  (fn) => fn.name,
);

/** The ASL placeholder for a function's ARN. */
export const arnPlaceholder = (name: FunctionName): string => `${name}FunctionArn`;

/**
 * The state machines, by file in `state-machines/`: one runbook per strategy, the detection
 * machine that waits out an alarm's `sustainSeconds` before deciding (Lambdas never sleep), and
 * the drill machine that runs a DR test's legs and soak, the evacuation machine that fails
 * over every app of a region in waves, and a region's poller of parked waits
 * (functions/evacuation/region-poller.ts).
 */
export const STATE_MACHINES = [
  { strategy: 'warm-standby', file: 'warm-standby.asl.json', name: 'WarmStandbyRunbook' },
  { strategy: 'pilot-light', file: 'pilot-light.asl.json', name: 'PilotLightRunbook' },
  { strategy: 'detection', file: 'detection.asl.json', name: 'DetectionSustain' },
  { strategy: 'drill', file: 'drill.asl.json', name: 'DrillRunner' },
  { strategy: 'evacuation', file: 'evacuation.asl.json', name: 'EvacuationRunner' },
  // A region's poller of parked waits, for many failovers at once outside an evacuation.
  { strategy: 'poller', file: 'region-poller.asl.json', name: 'RegionPoller' },
] as const;

export type StateMachineKey = (typeof STATE_MACHINES)[number]['strategy'];
