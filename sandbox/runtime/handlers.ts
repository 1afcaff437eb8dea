import { makeHandler as abandonExecution } from '../../functions/handlers/abandon-execution.js';
import { makeHandler as awaitEvent } from '../../functions/handlers/await-event.js';
import { makeHandler as beginExecution } from '../../functions/handlers/begin-execution.js';
import { makeHandler as checkCapacity } from '../../functions/handlers/check-capacity.js';
import { makeHandler as checkDatabase } from '../../functions/handlers/check-database.js';
import { makeHandler as checkPrepare } from '../../functions/handlers/check-prepare.js';
import { makeHandler as checkTraffic } from '../../functions/handlers/check-traffic.js';
import { makeHandler as evaluateAlarm } from '../../functions/handlers/evaluate-alarm.js';
import { makeHandler as finishExecution } from '../../functions/handlers/finish-execution.js';
import { makeHandler as preflight } from '../../functions/handlers/preflight.js';
import { makeHandler as prepareDatabase } from '../../functions/handlers/prepare-database.js';
import { makeHandler as promoteDatabase } from '../../functions/handlers/promote-database.js';
import { makeHandler as readiness } from '../../functions/handlers/readiness.js';
import { makeHandler as reconcile } from '../../functions/handlers/reconcile.js';
import { makeHandler as recordFailure } from '../../functions/handlers/record-failure.js';
import type { FunctionName } from '../../functions/handlers/registry.js';
import { makeHandler as requestApproval } from '../../functions/handlers/request-approval.js';
import { makeHandler as runDrill } from '../../functions/handlers/run-drill.js';
import { makeHandler as runEvacuation } from '../../functions/handlers/run-evacuation.js';
import { makeHandler as scaleCapacity } from '../../functions/handlers/scale-capacity.js';
import { makeHandler as shiftTraffic } from '../../functions/handlers/shift-traffic.js';
import { makeHandler as verifyService } from '../../functions/handlers/verify-service.js';
import { makeHandler as wakeOnEvent } from '../../functions/handlers/wake-on-event.js';
import type { RunbookDeps } from '../../functions/runbook/context.js';
import type { LambdaHandler } from './lambda.js';

/** The runbook step handlers, by function name: the very modules CDK bundles. */
export const RUNBOOK_HANDLERS: Partial<Record<FunctionName, (deps: RunbookDeps) => LambdaHandler>> = {
  BeginExecution: beginExecution,
  AbandonExecution: abandonExecution,
  Preflight: preflight,
  RequestApproval: requestApproval,
  PrepareDatabase: prepareDatabase,
  CheckPrepare: checkPrepare,
  PromoteDatabase: promoteDatabase,
  CheckDatabase: checkDatabase,
  ScaleCapacity: scaleCapacity,
  CheckCapacity: checkCapacity,
  AwaitEvent: awaitEvent,
  ShiftTraffic: shiftTraffic,
  CheckTraffic: checkTraffic,
  VerifyService: verifyService,
  FinishExecution: finishExecution,
  RecordFailure: recordFailure,
  EvaluateAlarm: evaluateAlarm,
  RunDrill: runDrill,
  RunEvacuation: runEvacuation,
  Reconcile: reconcile,
  Readiness: readiness,
  WakeOnEvent: wakeOnEvent,
};
