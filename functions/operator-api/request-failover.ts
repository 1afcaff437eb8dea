import { createHash } from 'node:crypto';
import { isoNow } from '../core/clock.js';
import {
  type ConflictError,
  NotReadyError,
  PreconditionFailedError,
  ThrottledError,
  TransientAwsError,
} from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { assertPlanRegion } from '../core/plan-registry.js';
import { FAILOVER_MODES } from '../core/records.js';
import { FREE_TEXT_MAX_CHARS } from '../core/text-bounds.js';
import * as z from '../core/zod.js';
import { type AppObservation, isKnown } from '../observer/observe.js';
import { lockFree, READINESS_CHECKS, targetNotActive } from '../readiness/checks.js';
import { type Readiness, type ReadinessDeps, readInputs, readinessFrom } from '../readiness/readiness.js';
import {
  PREPARE_CAPACITY_STEP,
  type PreparedGroup,
  preparedStep,
  scaleOutTarget,
} from '../runbook/approval.js';
import { approvalRequired, FailoverRequest, scalesBeforeDecision } from '../runbook/begin.js';
import {
  type EvacuationRef,
  knownUnreachable,
  type RunbookDeps,
  sharedReader,
  stepKey,
} from '../runbook/context.js';
import { GIVE_BACK_LEASE_MS, giveBackAsHolder } from '../runbook/give-back.js';
import {
  type DryRunReading,
  dryRunReading,
  failoverRecordsExist,
  firstRetryableUnknown,
  trafficAnswered,
} from '../runbook/preflight.js';
import {
  executionExists,
  isOpen,
  NOT_STARTED,
  type ReservedRequest,
  reserveExecution,
  startReserved,
} from '../runbook/reservation.js';
import { executionArnIn, executionIdForKey, newExecutionId, runbookArnIn } from '../runbook/runbook-arns.js';
import type { Identity } from './request.js';

/** The body of `POST /apps/{app}/failovers`. */
export const FailoverBody = z.strictObject({
  to: z.string().check(z.minLength(1, 'a region of the plan')),
  mode: z._default(z.enum(FAILOVER_MODES), 'graceful'),
  reason: z.string().check(z.trim(), z.minLength(1, 'a reason'), z.maxLength(FREE_TEXT_MAX_CHARS)),
});
export type FailoverBody = z.infer<typeof FailoverBody>;

/** The `Idempotency-Key` header: a client-chosen token that makes a retried request safe. */
export const IdempotencyKey = z
  .string()
  .check(z.minLength(1), z.maxLength(255), z.regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'));

/**
 * What a failover request touches: the readiness reads of its dry run, the state store (idempotency
 * key, reservation, audit), Step Functions in the target region (the start), and a random source
 * for the execution id.
 */
export type RequestFailoverDeps = ReadinessDeps & Pick<RunbookDeps, 'plans' | 'random'>;

export interface FailoverAccepted {
  readonly executionId: string;
  readonly executionArn: string;
  readonly app: string;
  /** The active region when the request was accepted (absent on a replay that found no record yet). */
  readonly from?: string;
  readonly to: string;
  readonly mode: FailoverBody['mode'];
  readonly status: 'STARTED';
  /** Whether the runbook will wait for an approver (not the requester) before it acts. */
  readonly approvalRequired: boolean;
  /** True when this answers a retry of an accepted request (same idempotency key and body). */
  readonly replayed: boolean;
  /** The dry run's readiness of the target in the request's mode (absent on a replay). */
  readonly readiness?: Pick<Readiness, 'verdict' | 'findings'>;
}

/**
 * Requests a failover of `app` to `body.to` and answers once it is accepted: exactly one of any
 * number of concurrent requests for one app is. It reserves the execution (`reserveExecution`:
 * the target is not the active region; the app's lock taken for the new execution id in one
 * conditional write; the execution record written RUNNING), then starts the plan's runbook in the
 * TARGET region's Step Functions (static stability: a failover into B runs in B), whose Begin step
 * adopts the lock and the record. So the execution id answered resolves to a record at once, and
 * a refused request starts nothing. If the start fails and the execution does not exist, the
 * reservation is given up (record FAILED with the error, lock released) and the error answered.
 *
 * With an idempotency key, the execution id derives from the key, so a retry of the same request
 * returns the same execution; the same key with another request is a {@link ConflictError}.
 *
 * A dry run evaluates the target's readiness in the request's mode: a graceful request with a
 * blocking finding is refused ({@link NotReadyError}, 409, with the findings, and a
 * `failover.refused` audit entry) before the lock is touched; an ungraceful one proceeds, its
 * findings in the answer and the audit entry, its reads made while the reservation takes the lock
 * (the record is written once they are done). A request whose dry run found nothing blocking
 * prepares the target's capacity under the lock as soon as it holds it ({@link preparesCapacity}):
 * the failover's first AWS action, before the record and the start. The same reads, evaluated as Preflight will,
 * go to the runbook (`dryRun`) with what the reservation holds (`reserved`), so Begin and
 * Preflight need not do that work again (docs/architecture.md, "Work done once").
 *
 * `options.evacuation` names the region evacuation the request is part of (AdvanceEvacuation's
 * requests): the run carries it, and its ShiftTraffic queues its traffic change for the
 * evacuation's batch instead of making its own call.
 *
 * @throws NotReadyError a graceful request whose target is NOT_READY
 * @throws ThrottledError a graceful request whose dry run AWS throttled past its pacing (503)
 * @throws FailoverInProgressError another execution holds the app's lock (it is named)
 * @throws PreconditionFailedError the target is the active region, or the key's first request
 *   failed to start (a retry needs a new key)
 * @throws ConflictError the idempotency key was used for another request
 */
export async function requestFailover(
  app: string,
  body: FailoverBody,
  caller: Identity,
  idempotencyKey: string | undefined,
  deps: RequestFailoverDeps,
  options: { readonly evacuation?: EvacuationRef } = {},
): Promise<FailoverAccepted> {
  const plan = deps.plans.get(app);
  assertPlanRegion(plan, body.to);
  runbookArnIn(plan, body.to, deps); // a runbook to start, before anything is reserved

  const requestedAt = isoNow(deps.clock);
  let executionId: string;
  if (idempotencyKey !== undefined) {
    executionId = executionIdForKey(plan.name, idempotencyKey);
    const requestHash = hashOf({ app: plan.name, ...body, requestedBy: caller.name });
    const claim = await deps.store.claimIdempotencyKey(plan.name, idempotencyKey, executionId, requestHash);
    executionId = claim.executionId;
    if (!claim.claimed) {
      // A retry. If its execution was reserved, answer with it; if the first attempt was refused
      // before it reserved one, this attempt goes through every check again.
      const existing = await startedExecution(plan, body.to, executionId, deps);
      if (existing) return accepted(plan, body, existing, true);
    }
  } else {
    executionId = newExecutionId(plan.name, deps);
  }
  // An ungraceful request's dry run never refuses it: its reads go on while the reservation takes
  // the lock, and the target's capacity is prepared at its verdict (below). A graceful one may
  // refuse, and reads the source too (seconds of timeouts when that region is down): the lock is
  // taken once its verdict passed (`before`), so a request it refuses never holds the lock against
  // the next one, and the capacity is prepared as soon as the lock's take succeeded. In both, the
  // record is written once the dry run has answered (`gate`: a Route 53 records plan's failover
  // records listed too, which only Preflight's reading needs).
  // An evacuation paces its own requests (a throttled one is asked again on a later poll), and its
  // poll requests many apps within one invocation: its dry runs do not wait, and read as mass
  // reads do (no call whose answer may be dropped).
  let passed: (below: ReadonlySet<string>) => void = () => undefined;
  const verdict = new Promise<ReadonlySet<string>>((resolve) => {
    passed = resolve;
  });
  const dry = dryRun(plan, body, executionId, deps, options.evacuation === undefined, passed);
  dry.catch(() => passed(new Set())); // answered below, whichever of the two fails first
  // Settled at the verdict: resolved when it passed, rejected with the dry run's refusal.
  const judged = Promise.race([verdict, dry]);
  judged.catch(() => undefined);
  const capacity = preparesCapacity(
    plan,
    executionId,
    body.to,
    verdict,
    deps,
    options.evacuation === undefined,
  );

  // Parsed as Begin will parse it: a request Begin would refuse is refused here, before any lock.
  const request: ReservedRequest = {
    ...FailoverRequest.parse({
      plan: plan.name,
      targetRegion: body.to,
      mode: body.mode,
      trigger: 'operator',
      requestedBy: caller.name,
      reason: body.reason,
      requestedAt,
      executionId,
      ...(options.evacuation ? { evacuation: options.evacuation } : {}),
    } satisfies FailoverRequest),
    executionId,
  };
  // Audited beside the record, before the start: once the runbook runs, nothing after it may fail
  // the answer.
  const audit = async (from: string) => {
    const { readiness } = await dry;
    return deps.store.appendAudit({
      id: `${executionId}-requested`,
      at: request.requestedAt ?? isoNow(deps.clock),
      actor: caller.name,
      action: 'failover.requested',
      app: plan.name,
      executionId,
      detail:
        `${body.mode} failover ${from} -> ${body.to} requested: ${body.reason}; readiness ${readiness.verdict}` +
        (readiness.findings.length > 0
          ? `: ${readiness.findings.map((f) => `${f.severity} ${f.code} ${f.resource}`).join(', ')}`
          : ''),
    });
  };
  const reservation = await reserveExecution(plan, request, deps, {
    ...(body.mode === 'graceful' ? { before: judged } : {}),
    gate: dry,
    alongside: audit,
    held: capacity.held,
    undo: capacity.undo,
  }).catch(async (error: unknown) => {
    // The dry run's refusal comes first: it is the answer, and the audit says so.
    await dry.catch(async (refusal: unknown) => {
      if (refusal instanceof NotReadyError)
        await auditRefusal(plan, body, caller, executionId, refusal, deps);
      throw refusal;
    });
    throw error;
  });
  const { readiness, reading } = await dry;
  // Preflight decides on the dry run's reading while it is fresh, instead of reading again.
  const executionArn = await startReserved(
    plan,
    {
      ...request,
      reserved: { epoch: reservation.epoch, key: reservation.record.key, from: reservation.from },
      ...(reading ? { dryRun: reading } : {}),
    },
    reservation,
    deps,
    capacity.undo,
  );
  await capacity.record(reservation.record.key);
  return {
    ...accepted(plan, body, { executionId, executionArn, from: reservation.from }, false),
    readiness: { verdict: readiness.verdict, findings: readiness.findings },
  };
}

/** What the request does with the target's capacity under its lock ({@link preparesCapacity}). */
interface CapacityPrepare {
  /** The reservation's `held`: the lock is held at this epoch; prepare once the verdict passed. */
  readonly held: (epoch: number) => void;
  /** The reservation's `undo`: give back what was prepared (fenced at the epoch); never throws. */
  readonly undo: () => Promise<void>;
  /** Records each group's outcome as a `PrepareCapacity` step of the record at `key`; never throws. */
  readonly record: (key: string) => Promise<void>;
}

/**
 * The target's capacity, prepared by the request itself at its dry run's verdict: the first AWS
 * action of a failover no longer waits for the record, the start, Begin and the runbook's first
 * step (about 0.6 s; docs/performance.md). It does what the run would do next without a person's
 * decision (`scalesBeforeDecision`: no approver, or `approvals.capacity: before-approval`), each
 * group to its active profile (`scaleOutTarget`, best effort; ScaleCapacity, the step of record,
 * scales again, idempotent), and only:
 * - under the lock: once the reservation holds it (its conditional take is the fence);
 * - once the dry run found nothing blocking in the request's mode (`verdict`: the groups it read
 *   below their active desired capacity in the target, none when something blocks): a request the
 *   dry run refuses, or one Preflight would fail, scales nothing, and a group AWS answered already
 *   at its active size (or did not answer) is left alone, so giving back never shrinks a group the
 *   request did not grow (a target that became active meanwhile);
 * - for one app's own request (`single`): an evacuation paces its requests and moves no capacity;
 * - when each run into the target reads for itself (`sharedReader` undefined): with many plans
 *   into the region, their burst would spend Auto Scaling's shared bucket twice.
 * A reservation given up after it (the record or the start failed) gives the capacity back from
 * what Auto Scaling says, fenced at the epoch, before the lock's release (`undo`).
 */
function preparesCapacity(
  plan: Plan,
  executionId: string,
  to: string,
  verdict: Promise<ReadonlySet<string>>,
  deps: RequestFailoverDeps,
  single: boolean,
): CapacityPrepare {
  const applies =
    single &&
    scalesBeforeDecision(plan, 'operator') &&
    (plan.compute?.autoScalingGroups ?? []).length > 0 &&
    sharedReader({ to }, deps.plans) === undefined;
  let epoch: number | undefined;
  let givenUp = false;
  let prepared: Promise<PreparedGroup[]> = Promise.resolve([]);
  return {
    held: (held) => {
      if (!applies) return;
      epoch = held;
      prepared = verdict.then((below) =>
        below.size > 0 && !givenUp ? scaleOutTarget(plan, to, deps, below) : [],
      );
    },
    undo: async () => {
      givenUp = true;
      const done = await prepared;
      const grown = new Set(
        done.filter((group) => group.status === 'SUCCEEDED').map((group) => group.resource),
      );
      if (epoch === undefined || grown.size === 0) return;
      await giveBackAsHolder(
        plan,
        to,
        { id: executionId, epoch, leaseMs: GIVE_BACK_LEASE_MS },
        deps,
        grown,
      ).catch(
        () => undefined, // left to RecordFailure's truth-based give-back if a run ever starts; else to the operator
      );
    },
    record: async (key) => {
      const done = await prepared;
      await Promise.all(
        done.map(
          (outcome) =>
            deps.store
              .recordStep(
                plan.name,
                key,
                stepKey(PREPARE_CAPACITY_STEP, outcome.resource),
                preparedStep(
                  outcome,
                  `scaled out by the request once its dry run passed, under the lock (epoch ${epoch})`,
                ),
              )
              .catch(() => undefined), // the record is the story, not the work: ScaleCapacity records it again
        ),
      );
    },
  };
}

/**
 * The names of the plan's groups that AWS answered, in the dry run's reads of `to`, below their
 * active desired capacity: those the request may prepare (a group unread, or already at its active
 * size, is left to ScaleCapacity).
 */
function belowActive(plan: Plan, to: string, seen: AppObservation): Set<string> {
  return new Set(
    (plan.compute?.autoScalingGroups ?? [])
      .filter((group) => {
        const read = seen.capacity.find((c) => c.group === group.name)?.regions[to];
        return read !== undefined && isKnown(read) && read.desired < group.active.desired;
      })
      .map((group) => group.name),
  );
}

/**
 * The audit entry of a request its dry run refused (`failover.refused`, keyed by the request's
 * execution id): what was refused and why; nothing was reserved, started or scaled. Best effort:
 * the refusal is the answer either way.
 */
async function auditRefusal(
  plan: Plan,
  body: FailoverBody,
  caller: Identity,
  executionId: string,
  refusal: NotReadyError,
  deps: Pick<RequestFailoverDeps, 'store' | 'clock'>,
): Promise<void> {
  await deps.store
    .appendAudit({
      id: `${executionId}-refused`,
      at: isoNow(deps.clock),
      actor: caller.name,
      action: 'failover.refused',
      app: plan.name,
      executionId,
      detail: `${body.mode} failover to ${body.to} refused by its dry run: ${refusal.message}; nothing was started or scaled`,
    })
    .catch(() => undefined);
}

/**
 * The dry run: readiness of the target in the request's mode, as Preflight will evaluate it (an
 * ungraceful request reads the target only: its source may be down). The lock is left to the
 * reservation, whose conditional write decides it and names the holder. A graceful request with a
 * blocking finding is refused with the findings; an ungraceful one goes on with them recorded.
 *
 * The same reads, evaluated as the run `executionId` will evaluate them, are Preflight's reading
 * (`dryRunReading`), when Preflight may decide on them: Route 53 records plans also list their
 * failover records here, alongside, as Preflight does.
 *
 * Its reads are one round (`single`: one app's own request, not an evacuation's): the replication
 * lag and the warm pool are read beside the cluster and the group, from the plan's names, instead
 * of after their answers (`observeApp`'s `eager`; docs/architecture.md, "Work done once"). When
 * the target's region poller serves the runs (many plans fail over into it, `sharedReader`), the
 * warm pool is not read: only its WARM_POOL_NOT_WARMED warning needs it.
 *
 * A graceful single request's dry run whose only blocker is a read AWS throttled reads again after
 * a jittered backoff ({@link dryRunPause}) for up to {@link DRY_RUN_PACING_MS} from its first read:
 * many requests at once spread over the API's rate instead of each being refused. An evacuation's
 * does not wait (the evacuation paces its requests itself).
 *
 * @throws NotReadyError graceful, and readiness found blocking findings
 * @throws ThrottledError graceful, and AWS still throttled a read that decides after its pacing
 *   (503 with Retry-After: nothing was reserved)
 * @throws TransientAwsError graceful, and another retryable fault left a deciding read unknown
 */
async function dryRun(
  plan: Plan,
  body: FailoverBody,
  executionId: string,
  deps: RequestFailoverDeps,
  single: boolean,
  passed: (below: ReadonlySet<string>) => void = () => undefined,
): Promise<{ readiness: Readiness; reading?: DryRunReading }> {
  const pacingMs = single ? DRY_RUN_PACING_MS : 0;
  const started = deps.clock.now();
  // Down endpoints last, as the runbook tries them (docs/architecture.md; `knownUnreachable`): an
  // ungraceful run suspects its source. The request does not know the active region before its
  // reads answer, so it suspects every region but the target (the source is one of them): their
  // ARC cluster endpoints are tried after the others, and a timed-out one is not paid first.
  const unreachable = new Set(
    plan.regions
      .filter((r) => r !== body.to)
      .flatMap((from) => [...knownUnreachable({ mode: body.mode, from })]),
  );
  // The lock and an active target are the reservation's to refuse (beside this dry run, in both
  // modes: "already active" is its 409, PreconditionFailedError), not the dry run's.
  const checks = READINESS_CHECKS.filter((check) => check !== lockFree && check !== targetNotActive);
  // A read of RDS or Auto Scaling that answered is kept across the paced re-reads of this request:
  // only what AWS throttled is asked again, so that pacing does not spend the bucket on answers it
  // already has. (The reading is then as old as its first read: `readAt` below.)
  // So is the state table's: the lock read before this request took the lock beside the dry run
  // (a re-read would find the request's own lock, and Preflight could not decide on the reading).
  const kept = {
    ...deps,
    aurora: keepAnswers(deps.aurora),
    autoScaling: keepAnswers(deps.autoScaling),
    store: keepAnswers(deps.store),
  };
  // Many plans failing over into the target (its region poller serves their runs): no
  // DescribeWarmPool, one group a call, which only refines a warning (how many pool instances are
  // warmed; the pool and its size are in the group's answer), as the poller's read leaves it out.
  // Two hundred requests at once read 400 groups per region against Auto Scaling's bucket of 100
  // refilled 20 a second: with their pools, twice that (docs/performance.md).
  const warmPools = !(single && sharedReader({ to: body.to }, deps.plans) === 'region');
  for (let reads = 1; ; reads++) {
    const readAt = reads === 1 ? deps.clock.now() : started;
    // Route 53 records plans list their failover records beside the reads: only the reading for
    // Preflight needs them, so the verdict is told (`passed`) without waiting for them.
    const recordsRead = failoverRecordsExist(plan, deps).then(
      () => true,
      () => false,
    );
    const inputs = await readInputs(
      plan,
      body.mode === 'graceful' ? plan.regions : [body.to],
      kept,
      undefined,
      {
        unreachable,
        eager: single,
        warmPools,
      },
    );
    const readiness = readinessFrom(inputs, body.to, body.mode, checks);
    const blocking = readiness.findings.filter((f) => f.severity === 'blocking');
    // "Cannot tell" because AWS throttled or failed a read just now is no verdict: the request is
    // retryable (503; an evacuation paces it and asks again), as Preflight retries the same unknown.
    const unknownOnly = blocking.length > 0 && blocking.every((f) => f.code.endsWith('_UNKNOWN'));
    const retryable = unknownOnly ? firstRetryableUnknown(inputs.observation, plan.regions) : undefined;
    if (body.mode === 'graceful' && retryable) {
      // Throttled: read again after a jittered backoff while the pacing budget lasts, so that many
      // requests at once (every app's team scripting a failover) spread over the API's rate
      // instead of each being refused (issue 10: one app's throttling never fails another).
      const pause = retryable.throttled ? dryRunPause(reads, started, pacingMs, deps) : undefined;
      if (pause !== undefined && deps.clock.sleep) {
        await deps.clock.sleep(pause);
        continue;
      }
      if (retryable.throttled)
        throw new ThrottledError(
          `${plan.name}: a graceful failover to ${body.to} cannot be judged now: AWS throttled the dry run's reads ` +
            `${reads} time(s) over ${Math.round((deps.clock.now() - started) / 100) / 10} s (${retryable.unknown}); ` +
            `nothing was reserved; expected reads that answer: try again after the answer's Retry-After`,
        );
      throw new TransientAwsError(
        `${plan.name}: a graceful failover to ${body.to} cannot be judged now (${retryable.unknown}); expected reads that answer: try again`,
      );
    }
    if (body.mode === 'graceful' && blocking.length > 0)
      throw new NotReadyError(
        `${plan.name}: a graceful failover to ${body.to} is refused: readiness is NOT_READY (${blocking
          .map((f) => `${f.code}: ${f.message}`)
          .join('; ')}); expected no blocking finding. Fix them, or request an ungraceful failover`,
        readiness.findings.map((f) => ({ ...f })),
      );
    passed(blocking.length === 0 ? belowActive(plan, body.to, inputs.observation) : new Set());
    const reading = dryRunReading(
      inputs,
      { to: body.to, mode: body.mode, self: executionId },
      readAt,
      (await recordsRead) && trafficAnswered(plan, inputs.observation),
    );
    return { readiness, ...(reading ? { reading } : {}) };
  }
}

/**
 * How long a graceful dry run whose reads AWS throttled may keep reading again, in milliseconds
 * (virtual in the sandbox), from its first read: inside API Gateway's 29 s integration timeout
 * and the operator API function's 30 s, with room for the reservation and the start after it
 * (about a second). An evacuation's requests do not wait (it paces them itself, on later polls).
 */
export const DRY_RUN_PACING_MS = 20_000;

/**
 * `port` with every method's answers kept for the object's life (one request): a call made again
 * with the same arguments answers what AWS answered the first time; a call that failed is not
 * kept, so it is made again. For a dry run's paced re-reads only.
 */
function keepAnswers<T extends object>(port: T): T {
  const answers = new Map<string, Promise<unknown>>();
  return new Proxy(port, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const key = `${String(name)} ${JSON.stringify(args)}`;
        const known = answers.get(key);
        if (known) return known;
        const call = Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args));
        answers.set(key, call);
        call.catch(() => answers.delete(key));
        return call;
      };
    },
  });
}
/** The first and the longest pause between a throttled dry run's reads, in milliseconds. */
export const DRY_RUN_PAUSE_MS = { base: 500, cap: 4_000 } as const;

/**
 * The pause (ms) before a throttled dry run reads again: exponential backoff with full jitter
 * (`base x 2^(reads-1)`, capped), as AWS advises throttled clients ("Use exponential backoff to
 * retry requests at progressively longer intervals between each retry. Introduce jitter between
 * retries", AWS Well-Architected Reliability Pillar, REL05-BP03, https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_mitigate_interaction_failure_limit_retries.html);
 * undefined when the pause would end past `pacingMs` from the first read (`started`, epoch ms; the
 * request is then refused as throttled, with Retry-After).
 */
function dryRunPause(
  reads: number,
  started: number,
  pacingMs: number,
  deps: Pick<RunbookDeps, 'clock' | 'random'>,
): number | undefined {
  const ceiling = Math.min(DRY_RUN_PAUSE_MS.cap, DRY_RUN_PAUSE_MS.base * 2 ** (reads - 1));
  const pause = Math.max(DRY_RUN_PAUSE_MS.base / 5, Math.floor(deps.random.next() * ceiling));
  return deps.clock.now() + pause - started <= pacingMs ? pause : undefined;
}

interface Started {
  readonly executionId: string;
  readonly executionArn: string;
  readonly from?: string;
}

/**
 * The execution a retried keyed request stands for, if there is one to answer with: a finished
 * record, or a runbook that exists in Step Functions. Undefined when the request must go on (never
 * reserved, or reserved and not started yet: reserving and starting again are idempotent).
 */
async function startedExecution(
  plan: Plan,
  region: string,
  executionId: string,
  deps: Pick<RunbookDeps, 'store' | 'stepFunctions' | 'stateMachineArns'>,
): Promise<Started | undefined> {
  const executionArn = executionArnIn(plan, region, executionId, deps);
  const record = await deps.store.getExecution(plan.name, executionId);
  if (record?.error?.message.startsWith(NOT_STARTED)) {
    throw new PreconditionFailedError(
      `${plan.name}: the request with this idempotency key was accepted as ${executionId}, whose ` +
        `start failed (${record.error.name}: ${record.error.message}); expected a new Idempotency-Key to try again`,
    );
  }
  if (record && !isOpen(record)) return { executionId, executionArn, from: record.from };
  if (await executionExists(plan, region, executionId, deps))
    return { executionId, executionArn, ...(record ? { from: record.from } : {}) };
  return undefined;
}

function accepted(plan: Plan, body: FailoverBody, started: Started, replayed: boolean): FailoverAccepted {
  return {
    executionId: started.executionId,
    executionArn: started.executionArn,
    app: plan.name,
    ...(started.from !== undefined ? { from: started.from } : {}),
    to: body.to,
    mode: body.mode,
    status: 'STARTED',
    approvalRequired: approvalRequired(plan, 'operator'),
    replayed,
  };
}

/** A stable digest of a request: equal requests, whatever their key order, hash equal. */
function hashOf(request: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.entries(request).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(canonical).digest('hex');
}
