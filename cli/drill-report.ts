import { clockTime, seconds, str, table } from './client.js';

/**
 * A drill's evidence as `GET /apps/{app}/drills/{id}` answers it (functions/operator-api/
 * console-views.ts, `DrillEvidence`; `groundTruth` only from the sandbox); read defensively.
 */
export interface DrillEvidenceView {
  readonly report?: {
    readonly id?: string;
    readonly app?: string;
    readonly at?: string;
    readonly outcome?: string;
    readonly detail?: {
      readonly kind?: string;
      readonly home?: string;
      readonly target?: string;
      readonly soakSeconds?: number;
      readonly finishedAt?: string;
      readonly problems?: readonly string[];
    };
  };
  readonly planVersion?: { sha256?: string | null; currentSha256?: string; sameAsCurrent?: boolean | null };
  readonly startedBy?: { kind?: string; by?: string; schedule?: string };
  readonly approvals?: readonly {
    leg?: string;
    required?: boolean;
    decision?: string;
    decidedBy?: string;
    decidedAt?: string;
    note?: string;
  }[];
  readonly objectives?: { rtoSeconds?: number; rpoSeconds?: number };
  readonly timeline?: readonly {
    id?: string;
    from?: string;
    to?: string;
    status?: string;
    requestedAt?: string;
    finishedAt?: string;
    rtoSeconds?: number | null;
    rpoSeconds?: number | null;
    rtoMet?: boolean | null;
    rpoMet?: boolean | null;
    steps?: readonly {
      name?: string;
      resource?: string;
      status?: string;
      startedAt?: string;
      finishedAt?: string;
      seconds?: number | null;
      error?: string;
    }[];
  }[];
  readonly readinessBefore?: {
    source?: string;
    region?: string;
    at?: string;
    verdict?: string;
    findings?: readonly { code?: string; severity?: string; resource?: string; message?: string }[];
  };
  readonly time?: { basis?: string; note?: string };
  readonly groundTruth?: {
    from?: string;
    to?: string;
    outageSeconds?: number;
    outages?: readonly { from?: string; to?: string; seconds?: number; ongoing?: boolean }[];
  };
}

/** A figure against its objective: `233.9 s within 300 s`, `OVER`, or `not measured`. */
function against(
  got: number | null | undefined,
  met: boolean | null | undefined,
  objective: unknown,
): string {
  if (typeof got !== 'number') return 'not measured';
  return `${seconds(got)} ${met === false ? 'OVER' : 'within'} ${seconds(objective)}`;
}

/** `switchyard drill --report ID`: the evidence an auditor reads, as lines of text. */
export function renderEvidence(e: DrillEvidenceView): string[] {
  const r = e.report ?? {};
  const d = r.detail ?? {};
  const out = [`drill ${str(r.id)} of ${str(r.app)}: ${str(r.outcome)}`];
  const by = e.startedBy;
  out.push(
    `  started by: ${
      by?.kind === 'schedule'
        ? `the plan's schedule ${str(by.schedule)} (as ${str(by.by)})`
        : `${str(by?.by)} (a person, through the API)`
    }`,
  );
  const version = e.planVersion;
  out.push(
    `  plan version: sha256 ${str(version?.sha256)}${
      version?.sameAsCurrent === true
        ? ' (the plan loaded now)'
        : version?.sameAsCurrent === false
          ? ` (CHANGED since: now ${str(version.currentSha256)})`
          : ' (not recorded)'
    }`,
  );
  out.push(
    `  drill: ${str(d.kind)} ${str(d.home)} -> ${str(d.target)}${d.kind === 'switchover' ? '' : ` and back after a ${seconds(d.soakSeconds)} soak`}; ${str(r.at)} to ${str(d.finishedAt)}`,
  );
  out.push(`  times: ${e.time?.note ?? str(e.time?.basis)}`);
  out.push(
    `  objectives: RTO ${seconds(e.objectives?.rtoSeconds)}, RPO ${seconds(e.objectives?.rpoSeconds)}`,
  );
  const ready = e.readinessBefore;
  out.push(
    `  readiness before: ${str(ready?.verdict)} in ${str(ready?.region)} (${str(ready?.source)}${ready?.at ? ` at ${ready.at}` : ''})`,
  );
  for (const f of ready?.findings ?? [])
    out.push(`    ${str(f.severity)} ${str(f.code)} ${str(f.resource)}: ${str(f.message)}`);
  for (const a of e.approvals ?? []) {
    out.push(
      `  approval of ${str(a.leg)}: ${
        a.required
          ? `${str(a.decision ?? 'PENDING')}${a.decidedBy ? ` by ${a.decidedBy} at ${str(a.decidedAt)}` : ''}`
          : str(a.note ?? 'not required')
      }`,
    );
  }
  (e.timeline ?? []).forEach((leg, index) => {
    out.push(
      `  leg ${index + 1}: ${str(leg.from)} -> ${str(leg.to)} ${str(leg.status)}  RTO ${against(leg.rtoSeconds, leg.rtoMet, e.objectives?.rtoSeconds)}, RPO ${against(leg.rpoSeconds, leg.rpoMet, e.objectives?.rpoSeconds)}  (${str(leg.id)}, ${str(leg.requestedAt)} to ${str(leg.finishedAt)})`,
    );
    const rows = [['STEP', 'RESOURCE', 'STATUS', 'START', 'END', 'SECONDS']];
    for (const step of leg.steps ?? []) {
      rows.push([
        str(step.name),
        str(step.resource),
        str(step.status),
        clockTime(step.startedAt),
        clockTime(step.finishedAt),
        seconds(step.seconds),
      ]);
    }
    out.push(...table(rows, '    '));
    for (const step of leg.steps ?? []) if (step.error) out.push(`    ! ${str(step.name)}: ${step.error}`);
  });
  const truth = e.groundTruth;
  if (truth) {
    const outages = truth.outages ?? [];
    out.push(
      `  ground truth (sandbox): ${outages.length === 0 ? 'no outage of the app during the drill' : `${seconds(truth.outageSeconds)} of outage for users in ${outages.length} span(s)`}`,
    );
    for (const o of outages)
      out.push(
        `    ${str(o.from)} to ${str(o.to)}: ${seconds(o.seconds)}${o.ongoing ? ' (still going on)' : ''}`,
      );
  }
  for (const problem of d.problems ?? []) out.push(`  problem: ${problem}`);
  return out;
}
