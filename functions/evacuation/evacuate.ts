import { createHash } from 'node:crypto';
import { isoNow } from '../core/clock.js';
import {
  ConflictError,
  describeError,
  InvalidInputError,
  PreconditionFailedError,
  RetryableError,
  WaitTimedOutError,
} from '../core/errors.js';
import { initialPrimary } from '../core/plan-queries.js';
import * as z from '../core/zod.js';
import type { RequestProblem } from '../operator-api/http-errors.js';
import type { Identity } from '../operator-api/request.js';
import { type RequestFailoverDeps, requestFailover } from '../operator-api/request-failover.js';
import { refuseProblems, regionProblem, sentString } from '../operator-api/validation.js';
import { parseInput, type RunbookDeps } from '../runbook/context.js';
import type { EvacuationApp, EvacuationRecord } from '../runbook/ports/evacuations.js';
import { newExecutionId, stateMachineArnInRegion } from '../runbook/runbook-arns.js';
import { wakeFromSharedReads } from './shared-reads.js';
import { type FlushSummary, flushTraffic } from './traffic-batch.js';

/** The body of `POST /evacuations` (and the scenario event `evacuate`). */
export const EvacuationBody = z.strictObject({
  from: z.string().check(z.minLength(1, 'the region to evacuate')),
  to: z.optional(z.string().check(z.minLength(1))),
  mode: z._default(z.enum(['graceful', 'ungraceful']), 'graceful'),
  /** Only these apps (each must be a plan); default every app active in `from`. */
  apps: z.optional(
    z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.minLength(1), z.maxLength(1000)),
  ),
  reason: z.string().check(z.trim(), z.minLength(1, 'a reason'), z.maxLength(1024)),
});
export type EvacuationBody = z.infer<typeof EvacuationBody>;

/** What `POST /evacuations` answers. */
export interface EvacuationAccepted {
  readonly evacuationId: string;
  readonly from: string;
  readonly to?: string;
  readonly mode: EvacuationBody['mode'];
  readonly status: EvacuationRecord['status'];
  /** Apps to fail over, per wave (lowest priority first), and the apps skipped with why. */
  readonly waves: { priority: number; apps: string[] }[];
  readonly skipped: { app: string; reason: string }[];
  /** True when this answers a retry of an accepted request (same idempotency key and body). */
  readonly replayed: boolean;
}

/**
 * How many app failovers one AdvanceEvacuation invocation requests, and how many at once. Each
 * request is about ten single-item writes and a StartExecution (~0.7 s of round trips), so 50 in
 * batches of 10 take a few seconds, far inside the function's 30 s timeout; the rest wait for the
 * next invocation, a second later.
 */
export const STARTS_PER_ADVANCE = 50;
export const STARTS_AT_ONCE = 10;
/** Attempts to request one app's failover through throttling before it is recorded FAILED. */
export const MAX_REQUEST_ATTEMPTS = 8;
/**
 * Seconds between AdvanceEvacuation polls while failovers run: each poll also flushes the traffic
 * queue (`traffic-batch.ts`), so an app's queued traffic change waits at most about this long.
 */
export const EVACUATION_POLL_SECONDS = 1;
/** Polls before the evacuation gives up on the failovers still running (2 hours at 1 s). */
export const EVACUATION_MAX_POLLS = 7200;

/**
 * The problems of an evacuation body that its schema cannot see, judged on the body as sent
 * (before or after {@link EvacuationBody} parsed it): `from` or `to` not a region of any plan (the
 * valid ones listed), `to` equal to `from`, an app in `apps` that is not a plan. Each has its path,
 * what was got and what was expected; the router lists them beside the schema's own problems
 * (`parseRequestPart`'s `also`), so a request learns every one at once. Empty when there is none.
 */
export function evacuationProblems(
  sent: unknown,
  plans: readonly { readonly name: string; readonly regions: readonly string[] }[],
): RequestProblem[] {
  const planRegions = [...new Set(plans.flatMap((p) => p.regions))];
  const ofAPlan = `a region of a plan (${planRegions.join(', ')})`;
  const known = plans.map((p) => p.name);
  const from = sentString(sent, 'from');
  const to = sentString(sent, 'to');
  const apps = sent !== null && typeof sent === 'object' ? (sent as { apps?: unknown }).apps : undefined;
  return [
    regionProblem(from, planRegions, 'body.from', ofAPlan),
    regionProblem(to, planRegions, 'body.to', ofAPlan),
    to !== undefined && to === from
      ? {
          path: 'body.to',
          message: 'the region being evacuated',
          got: JSON.stringify(to),
          expected: `a region other than from (${from})`,
        }
      : undefined,
    ...(Array.isArray(apps) ? apps : []).map((app: unknown, i) =>
      typeof app !== 'string' || known.includes(app)
        ? undefined
        : {
            path: `body.apps[${i}]`,
            message: 'unknown app',
            got: JSON.stringify(app),
            expected: `one of ${known.join(', ')}`,
          },
    ),
  ].filter((p): p is RequestProblem => p !== undefined);
}

/**
 * Requests the evacuation of region `body.from`: every app whose recorded active region is `from`
 * (or the listed ones) fails over, in waves by its plan's `priority`, each through the same
 * request path as an operator's failover (`requestFailover`: its own lock and record, its plan's
 * approval rule) and its own runbook in its target region. Writes the evacuation record
 * (`EVACUATION#<id>`), then starts the evacuation state machine in this region, whose
 * AdvanceEvacuation step requests the failovers wave by wave and follows them.
 *
 * It runs in the control plane that received the request, which must not be `from`'s (a region
 * being evacuated may be down). With an idempotency key the evacuation id derives from it: a retry
 * answers the same evacuation; the same key with another request is a {@link ConflictError}.
 *
 * @throws RequestValidationError (InvalidInputError, 400) an unknown region or app in the body, or
 *   `to` equal to `from`: every problem with its path, what was got and what was expected
 * @throws PreconditionFailedError the request reached `from`'s own control plane, or no app is
 *   active in `from`
 * @throws ConflictError the idempotency key was used for another request, or another evacuation of
 *   `from` is running (409, naming it; the same key with the same request answers the first one)
 */
export async function requestEvacuation(
  body: EvacuationBody,
  caller: Identity,
  idempotencyKey: string | undefined,
  deps: RunbookDeps,
): Promise<EvacuationAccepted> {
  const plans = deps.plans.list();
  refuseProblems('body', evacuationProblems(body, plans));
  if (deps.region === body.from) {
    throw new PreconditionFailedError(
      `evacuation of ${body.from}: got the request in ${body.from}'s own control plane; expected another ` +
        `region's operator API (a region being evacuated may be down)`,
    );
  }
  const machine = deps.stateMachineArns.evacuation;
  if (!machine)
    throw new PreconditionFailedError(`no evacuation state machine is configured in ${deps.region}`);

  const requestHash = hashOf({ ...body, apps: body.apps?.join(',') ?? '*', requestedBy: caller.name });
  const id =
    idempotencyKey !== undefined
      ? `evac-k${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`
      : newExecutionId('evac', deps);
  const existing = idempotencyKey !== undefined ? await deps.evacuations.get(id) : undefined;
  if (existing) {
    if (existing.requestHash !== requestHash)
      throw new ConflictError(
        `Idempotency-Key: already used for evacuation ${existing.id} of ${existing.from} by ${existing.requestedBy}; expected a new key for another request`,
      );
    await startMachine(existing, machine, deps);
    return accepted(existing, true);
  }

  // Which apps are active in `from`: the recorded state of each, read at once.
  const chosen = plans.filter((p) => body.apps === undefined || body.apps.includes(p.name));
  const states = await Promise.all(chosen.map((p) => deps.store.getState(p.name)));
  const apps: EvacuationApp[] = [];
  chosen.forEach((plan, index) => {
    const active = states[index]?.activeRegion ?? initialPrimary(plan);
    const to = body.to ?? plan.regions.find((r) => r !== body.from);
    const base = { app: plan.name, priority: plan.priority, attempts: 0 };
    if (active !== body.from) {
      if (body.apps !== undefined)
        apps.push({
          ...base,
          to: to ?? active,
          status: 'SKIPPED',
          error: `active in ${active}, not ${body.from}`,
        });
    } else if (!to || !plan.regions.includes(to)) {
      apps.push({
        ...base,
        to: to ?? body.from,
        status: 'SKIPPED',
        error: `${to} is not a region of its plan (${plan.regions.join(', ')})`,
      });
    } else apps.push({ ...base, to, status: 'PENDING' });
  });
  if (!apps.some((a) => a.status === 'PENDING')) {
    throw new PreconditionFailedError(
      `evacuation of ${body.from}: no app to fail over (got ${apps.length === 0 ? 'no app active there' : apps.map((a) => `${a.app}: ${a.error}`).join('; ')}); expected an app whose active region is ${body.from}`,
    );
  }
  apps.sort((a, b) => a.priority - b.priority || a.app.localeCompare(b.app));
  await claimRegion(body.from, id, deps);
  const record: EvacuationRecord = {
    id,
    from: body.from,
    ...(body.to !== undefined ? { to: body.to } : {}),
    mode: body.mode,
    requestedBy: caller.name,
    reason: body.reason,
    requestedAt: isoNow(deps.clock),
    region: deps.region,
    requestHash,
    status: 'RUNNING',
    apps,
    version: 1,
  };
  if (!(await deps.evacuations.create(record))) {
    // Lost a race with a retry of the same request: answer with what it wrote.
    const raced = await deps.evacuations.get(id);
    if (!raced) throw new ConflictError(`evacuation ${id}: create lost a race and found no record`);
    return accepted(raced, true);
  }
  await startMachine(record, machine, deps);
  return accepted(record, false);
}

/**
 * How long a region's claim whose evacuation record is not written yet still counts as running,
 * in (virtual) ms: the claiming request writes its record right after the claim, within its own
 * lifetime, which API Gateway bounds to 30 s (HTTP API integration timeout, "Amazon API Gateway
 * quotas", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html). A
 * claim older than that without a record was left by a request that died: it is taken over.
 */
export const CLAIM_UNWRITTEN_MS = 30_000;

/**
 * Claims region `from` for evacuation `id` (`EvacuationStore.claimRegion`), so that one evacuation
 * of a region runs at a time: two requests racing are told apart by the claim's conditional put,
 * not by a read. The claim of an evacuation that ended (its record not RUNNING) is taken over,
 * conditioned on that holder, so two requests that both read it ended do not both take it.
 *
 * @throws ConflictError (409) another evacuation of `from` is running: names its id, who asked
 *   and when
 */
async function claimRegion(from: string, id: string, deps: RunbookDeps): Promise<void> {
  let over: string | undefined;
  // Each round either claims, refuses, or saw the holder end (then its claim is taken over): two
  // rounds settle a race; the third is for a holder that ended between a read and the put.
  for (let round = 0; round < 3; round++) {
    if (await deps.evacuations.claimRegion(from, id, isoNow(deps.clock), over)) return;
    const held = await deps.evacuations.regionClaim(from);
    if (!held) continue;
    const holder = await deps.evacuations.get(held.evacuationId);
    const unwritten = !holder && deps.clock.now() - Date.parse(held.claimedAt) < CLAIM_UNWRITTEN_MS;
    if (holder?.status === 'RUNNING' || unwritten)
      throw new ConflictError(
        `evacuation of ${from}: got a new request while evacuation ${held.evacuationId} of ${from} is running` +
          (holder ? ` (requested by ${holder.requestedBy} at ${holder.requestedAt})` : ' (just requested)') +
          `; expected it to end first: follow it with GET /evacuations/${held.evacuationId}`,
      );
    over = held.evacuationId;
  }
  throw new ConflictError(
    `evacuation of ${from}: its claim changed hands on every try; expected one evacuation of ${from} at a time: try again`,
  );
}

/** Starts the evacuation's state machine (named by its id: a second start of it is a no-op). */
async function startMachine(record: EvacuationRecord, machine: string, deps: RunbookDeps): Promise<void> {
  try {
    await deps.stepFunctions.start(
      record.region,
      stateMachineArnInRegion(machine, record.region),
      record.id,
      {
        evacuation: { id: record.id },
      },
    );
  } catch (error: unknown) {
    // Already started (a retried request): the execution name is taken, which is the goal.
    if (describeError(error).name === 'ConflictError') return;
    throw error;
  }
}

function accepted(record: EvacuationRecord, replayed: boolean): EvacuationAccepted {
  const waves = new Map<number, string[]>();
  for (const app of record.apps) {
    if (app.status === 'SKIPPED') continue;
    waves.set(app.priority, [...(waves.get(app.priority) ?? []), app.app]);
  }
  return {
    evacuationId: record.id,
    from: record.from,
    ...(record.to !== undefined ? { to: record.to } : {}),
    mode: record.mode,
    status: record.status,
    waves: [...waves].map(([priority, apps]) => ({ priority, apps })),
    skipped: record.apps
      .filter((a) => a.status === 'SKIPPED')
      .map((a) => ({ app: a.app, reason: a.error ?? '' })),
    replayed,
  };
}

const AdvanceInput = z.object({
  evacuation: z.object({ id: z.string().check(z.minLength(1)) }),
  progress: z.nullish(
    z.object({ attempt: z.int().check(z.nonnegative()), nextPollSeconds: z.int().check(z.gte(1)) }),
  ),
});

/** What AdvanceEvacuation returns to its Wait + Choice loop. */
export interface EvacuationProgress {
  readonly done: boolean;
  readonly nextPollSeconds: number;
  readonly attempt: number;
  readonly status: EvacuationRecord['status'];
  readonly succeeded: number;
  readonly failed: number;
  readonly pending: number;
  /** What this poll's flush of the traffic queue did (absent when nothing was queued). */
  readonly traffic?: FlushSummary | { readonly error: string };
  /**
   * What this poll's shared reads did (absent when no failover was running): target regions read,
   * steps woken, and up to three reads that failed.
   */
  readonly sharedReads?: { readonly regions: number; readonly woken: number; readonly errors?: string[] };
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'SKIPPED']);

/**
 * The ports an evacuation's polls and its Catch take (RunEvacuation composes exactly these): its
 * record, the runs it starts (the operator's request path: readiness reads and the lock), the
 * shared reads that wake them, and the traffic queue it flushes. Not the reconciler's marks, the
 * readiness results or events.
 */
export type EvacuationDeps = RequestFailoverDeps &
  Pick<RunbookDeps, 'evacuations' | 'trafficBatches' | 'waits'> &
  Parameters<typeof wakeFromSharedReads>[1] &
  Parameters<typeof flushTraffic>[1];

/**
 * AdvanceEvacuation, one poll of the evacuation state machine: reads how each started failover
 * stands (its execution record: SUCCEEDED means VerifyService saw the target serve, by reading
 * AWS), then, when every app of the current wave has ended, moves to the next wave; requests the
 * failovers of the current wave that are due, at most {@link STARTS_PER_ADVANCE} per poll and
 * {@link STARTS_AT_ONCE} at a time. A request that is throttled or fails transiently is paced:
 * tried again on a later poll after a jittered, growing delay, up to {@link MAX_REQUEST_ATTEMPTS};
 * it never fails another app's request. A refusal (another failover holds the app's lock, the
 * target is already active) is that app's outcome. Then it flushes the evacuation's traffic queue
 * ({@link flushTraffic}: the apps whose own resources are ready move together, one ARC update or
 * Route 53 change batch for many). When every app has ended, the record is closed.
 *
 * @throws WaitTimedOutError failovers still running after {@link EVACUATION_MAX_POLLS} polls
 * @throws ConflictError the record was written by another since it was read (the poll is retried)
 */
export async function advanceEvacuation(input: unknown, deps: EvacuationDeps): Promise<EvacuationProgress> {
  const { evacuation, progress } = parseInput(AdvanceInput, input, 'AdvanceEvacuation');
  const attempt = (progress?.attempt ?? -1) + 1;
  let record = await deps.evacuations.get(evacuation.id);
  if (!record)
    throw new InvalidInputError(`AdvanceEvacuation: got evacuation ${evacuation.id}, expected its record`);
  if (record.status !== 'RUNNING') return summary(record, attempt, true);

  // 1. Follow the failovers under way.
  const started = record.apps.filter((a) => a.status === 'STARTED' && a.executionId);
  const seen = await Promise.all(
    started.map((a) => deps.store.getExecution(a.app, a.executionId as string).catch(() => undefined)),
  );
  started.forEach((app, i) => {
    const execution = seen[i];
    if (!execution || !TERMINAL.has(execution.status)) return;
    app.status = execution.status as EvacuationApp['status'];
    if (execution.rtoSeconds !== undefined) app.rtoSeconds = execution.rtoSeconds;
    if (execution.error) app.error = `${execution.error.name}: ${execution.error.message}`;
  });

  // 2. The current wave: the lowest priority with an app that has not ended.
  const open = record.apps.filter((a) => !TERMINAL.has(a.status));
  const wave = open.length > 0 ? Math.min(...open.map((a) => a.priority)) : undefined;
  const now = deps.clock.now();
  const due = open
    .filter((a) => a.priority === wave && a.status === 'PENDING' && (a.notBefore ?? 0) <= now)
    .slice(0, STARTS_PER_ADVANCE);
  for (let i = 0; i < due.length; i += STARTS_AT_ONCE) {
    await Promise.all(
      due.slice(i, i + STARTS_AT_ONCE).map((app) => requestOne(record as EvacuationRecord, app, deps)),
    );
  }

  // 3. Read every target region once for all the running apps, and wake the steps whose condition
  // the reads show met (their own reads are only a slow fallback during an evacuation).
  const shared = await wakeFromSharedReads(record, deps);

  // 4. Move the traffic of the apps whose own resources are ready, many apps per call. A flush
  // that fails is this poll's only: its entries stay queued, and each app moves its own traffic
  // after its wait (traffic-queue.ts), so it never fails the evacuation.
  let traffic: EvacuationProgress['traffic'];
  try {
    const flushed = await flushTraffic(record, deps);
    if (flushed.calls > 0 || flushed.pending > 0 || flushed.released > 0) traffic = flushed;
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    traffic = { error: `${name}: ${message}` };
  }

  const finished = record.apps.every((a) => TERMINAL.has(a.status));
  if (finished) {
    record.status = record.apps.every((a) => a.status === 'SUCCEEDED' || a.status === 'SKIPPED')
      ? 'SUCCEEDED'
      : 'FAILED';
    record.finishedAt = isoNow(deps.clock);
  } else if (attempt >= EVACUATION_MAX_POLLS) {
    throw new WaitTimedOutError(
      `evacuation ${record.id}: ${record.apps.filter((a) => !TERMINAL.has(a.status)).length} app(s) not done after ${EVACUATION_MAX_POLLS} polls every ${EVACUATION_POLL_SECONDS} s`,
    );
  }
  record = await deps.evacuations.save(record);
  const sharedReads =
    shared.regions > 0
      ? {
          regions: shared.regions,
          woken: shared.woken.length,
          ...(shared.errors.length > 0 ? { errors: shared.errors.slice(0, 3) } : {}),
        }
      : undefined;
  return {
    ...summary(record, attempt, finished),
    ...(traffic ? { traffic } : {}),
    ...(sharedReads ? { sharedReads } : {}),
  };
}

/**
 * Requests one app's failover through the operator's request path, with an idempotency key of the
 * evacuation, the app and the attempt: a retried poll never starts a second failover, and a paced
 * retry after a start that was given up (the reservation closed FAILED, its lock released: see
 * `startReserved`) is a new request. Updates `app` in place.
 */
async function requestOne(record: EvacuationRecord, app: EvacuationApp, deps: EvacuationDeps): Promise<void> {
  const caller: Identity = { name: record.requestedBy, roles: ['operator'] };
  try {
    const answer = await requestFailover(
      app.app,
      {
        to: app.to,
        mode: record.mode,
        reason: `evacuation ${record.id} of ${record.from}: ${record.reason}`,
      },
      caller,
      `${record.id}:${app.app}:${app.attempts}`,
      deps,
      { evacuation: { id: record.id, region: record.region } },
    );
    app.status = 'STARTED';
    app.executionId = answer.executionId;
    delete app.notBefore;
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    app.attempts += 1;
    if (error instanceof RetryableError && app.attempts < MAX_REQUEST_ATTEMPTS) {
      // Paced: full jitter over an exponential base of 1 s, capped at 30 s, as the SDKs back off.
      const ceiling = Math.min(30_000, 1_000 * 2 ** (app.attempts - 1));
      app.notBefore = deps.clock.now() + Math.floor(deps.random.next() * ceiling);
      app.error = `${name}: ${message} (attempt ${app.attempts} of ${MAX_REQUEST_ATTEMPTS}, tried again)`;
      return;
    }
    app.status = 'FAILED';
    app.error = `${name}: ${message}`;
  }
}

/**
 * The Catch of the evacuation state machine: records every app not yet ended FAILED with the
 * error that stopped the evacuation, and closes the record FAILED. Idempotent.
 */
export async function failEvacuation(input: unknown, deps: EvacuationDeps): Promise<EvacuationProgress> {
  const { evacuation, error } = parseInput(
    z.object({
      evacuation: z.object({ id: z.string().check(z.minLength(1)) }),
      error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
    }),
    input,
    'FailEvacuation',
  );
  const record = await deps.evacuations.get(evacuation.id);
  if (!record)
    throw new InvalidInputError(`FailEvacuation: got evacuation ${evacuation.id}, expected its record`);
  if (record.status !== 'RUNNING') return summary(record, 0, true);
  const why = error ? `${error.Error}: ${error.Cause ?? ''}`.trim() : 'the evacuation stopped';
  for (const app of record.apps) {
    if (app.status === 'PENDING') {
      app.status = 'FAILED';
      app.error = `not requested: ${why}`;
    }
  }
  record.status = 'FAILED';
  record.finishedAt = isoNow(deps.clock);
  return summary(await deps.evacuations.save(record), 0, true);
}

function summary(record: EvacuationRecord, attempt: number, done: boolean): EvacuationProgress {
  return {
    done,
    nextPollSeconds: EVACUATION_POLL_SECONDS,
    attempt,
    status: record.status,
    succeeded: record.apps.filter((a) => a.status === 'SUCCEEDED').length,
    failed: record.apps.filter((a) => a.status === 'FAILED' || a.status === 'ABORTED').length,
    pending: record.apps.filter((a) => !TERMINAL.has(a.status)).length,
  };
}

/** A stable digest of a request: equal requests, whatever their key order, hash equal. */
function hashOf(request: Readonly<Record<string, string | undefined>>): string {
  const canonical = JSON.stringify(
    Object.entries(request)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return createHash('sha256').update(canonical).digest('hex');
}
