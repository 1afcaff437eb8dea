/**
 * The operator API's answers as the console reads them (see the README's operator API table). The
 * records and the vocabulary are the core's (functions/core/records.ts), imported as types only:
 * they erase at build, so nothing of the control plane is bundled; so are the API's views of an
 * execution (functions/core/execution-views.ts). What is declared here is the API's read models
 * (status, timeline, evidence) and the sandbox's answers.
 */
import type { ExecutionDetail, ExecutionSummary } from '../../functions/core/execution-views.js';
import type {
  AuditEntry,
  DrillReport as DrillRecord,
  ErrorRecord,
  ExecutionStatus,
  PlanStatus,
  StepRecord,
  StepStatus,
  Strategy,
} from '../../functions/core/records.js';

export type {
  AuditEntry,
  ErrorRecord,
  ExecutionDetail,
  ExecutionStatus,
  ExecutionSummary,
  StepRecord,
  StepStatus,
};

export type Lane = 'control' | 'database' | 'capacity' | 'traffic';

export interface Objectives {
  readonly rtoSeconds: number;
  readonly rpoSeconds: number;
}

export interface CapacityDetail {
  readonly group: string;
  readonly healthyInService: number | null;
  readonly desired: number | null;
}

export interface RegionDetail {
  readonly writer: boolean | null;
  readonly capacity: readonly CapacityDetail[];
  readonly routing: 'On' | 'Off' | 'PRIMARY' | 'SECONDARY' | null;
  readonly replicationLagMs: number | null;
  readonly reachable: boolean;
  readonly problems?: readonly string[];
  /** The scheduled readiness verdict toward this region (functions/operator-api/app-status.ts). */
  readonly readiness?: {
    readonly verdict: 'READY' | 'NOT_READY';
    readonly blocking: readonly string[];
    readonly warnings: readonly string[];
    readonly evaluatedAt: string;
  };
}

export interface AppStatus {
  readonly app: string;
  readonly strategy: Strategy;
  readonly regions: readonly string[];
  readonly activeRegion: string;
  readonly status: PlanStatus;
  readonly statusReason?: string;
  readonly detection?: { readonly mode: string; readonly meaning?: string; readonly cooldownUntil?: string };
  readonly runningExecution?: string;
  readonly lastFailoverAt?: string;
  readonly lastExecutionId?: string;
  /** The newest execution whatever its outcome; null when none; `{ unknown }` when unread. */
  readonly latestExecution?:
    | {
        readonly id: string;
        readonly status: string;
        readonly error?: { readonly name: string; readonly message: string };
      }
    | null
    | { readonly unknown: string };
  readonly objectives: Objectives;
  /** Where users are sent now, as observed (authoritative DNS answer or routing control); null if unknown. */
  readonly trafficRegion: string | null;
  /** Per global cluster: the regions whose cluster takes writes now, as observed. */
  readonly writers: Readonly<Record<string, readonly string[]>>;
  readonly regionsDetail: Readonly<Record<string, RegionDetail>>;
}

export interface TimelineBar {
  readonly key: string;
  readonly name: string;
  readonly resource?: string;
  readonly lane: Lane;
  readonly status: StepStatus;
  readonly startSeconds: number;
  readonly endSeconds: number | null;
  readonly error?: ErrorRecord;
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly interrupted?: boolean;
}

export interface ExecutionTimeline {
  readonly now: string;
  readonly execution: ExecutionDetail;
  readonly objectives: Objectives;
  readonly approvalRequired: boolean;
  readonly elapsedSeconds: number;
  readonly approvalWaitSeconds: number;
  readonly rtoSeconds: number | null;
  readonly rtoFinal: boolean;
  readonly bars: readonly TimelineBar[];
}

export interface FailoverPreview {
  readonly app: string;
  readonly strategy: string;
  readonly regions: readonly string[];
  readonly objectives: Objectives;
  readonly approvalRequired: boolean;
  readonly approvalTimeoutSeconds: number;
  readonly traffic: 'arc' | 'route53';
  readonly modes: Readonly<Record<'graceful' | 'ungraceful', string>>;
  readonly steps: readonly { readonly name: string; readonly lane: Lane; readonly what: string }[];
  readonly resources: {
    readonly databases: readonly string[];
    readonly capacity: readonly {
      readonly group: string;
      readonly active: string;
      readonly standby: string;
    }[];
  };
}

/** A drill's report, with the `detail` the drill use case writes (functions/drills/) spelled out. */
export type DrillReport = Omit<DrillRecord, 'detail'> & {
  readonly detail?: {
    readonly kind?: string;
    readonly home?: string;
    readonly target?: string;
    readonly soakSeconds?: number;
    readonly finishedAt?: string;
    readonly legs?: readonly {
      readonly id: string;
      readonly from: string;
      readonly to: string;
      readonly status: string;
      readonly rtoSeconds: number | null;
      readonly rpoSeconds: number | null;
    }[];
    readonly problems?: readonly string[];
    /** What started it: the plan's schedule or a person (drills recorded before say nothing). */
    readonly startedBy?: {
      readonly kind: 'schedule' | 'operator';
      readonly by: string;
      readonly schedule?: string;
    };
  };
};

/** A drill's evidence (GET /apps/{app}/drills/{id}: functions/operator-api/console-views.ts). */
export interface DrillEvidence {
  readonly now: string;
  readonly report: DrillReport;
  readonly plan: {
    readonly name: string;
    readonly strategy: string;
    readonly regions: readonly string[];
    readonly objectives: Objectives;
    readonly digest: string;
  };
  readonly planVersion?: {
    readonly sha256: string | null;
    readonly currentSha256: string;
    readonly sameAsCurrent: boolean | null;
  };
  readonly startedBy?: {
    readonly kind: 'schedule' | 'operator';
    readonly by: string;
    readonly schedule?: string;
  };
  readonly approvals?: readonly {
    readonly leg: string;
    readonly required: boolean;
    readonly decision?: string;
    readonly decidedBy?: string;
    readonly decidedAt?: string;
    readonly note?: string;
  }[];
  readonly timeline?: readonly {
    readonly id: string;
    readonly rtoMet: boolean | null;
    readonly rpoMet: boolean | null;
  }[];
  readonly readinessBefore?: {
    readonly source: string;
    readonly region: string;
    readonly at?: string;
    readonly verdict: string;
    readonly findings: readonly {
      readonly code: string;
      readonly severity: string;
      readonly resource: string;
      readonly message: string;
    }[];
  };
  readonly time?: { readonly basis: 'virtual' | 'real'; readonly note: string };
  /** The sandbox's ground truth for the drill's window (absent in AWS). */
  readonly groundTruth?: {
    readonly from: string;
    readonly to: string;
    readonly outageSeconds: number;
    readonly outages: readonly {
      readonly from: string;
      readonly to: string;
      readonly seconds: number;
      readonly ongoing?: boolean;
    }[];
  };
  readonly legs: readonly ExecutionDetail[];
}

export interface SandboxIdentity {
  readonly name: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  readonly description: string;
  readonly token: string;
}

export type Fault = { readonly kind: string } & Readonly<Record<string, unknown>>;

export interface SandboxTruth {
  readonly virtualTime: string;
  readonly elapsedSeconds: number;
  readonly speed: number | null;
  readonly downRegions: readonly string[];
  readonly faults: readonly Fault[];
  readonly apps: Readonly<
    Record<string, { servedBy: string | null; trafficRegion: string | null; writerRegion: string | null }>
  >;
  readonly outages: readonly { app: string; from: number; to: number; seconds: number }[];
  readonly invariants: readonly { name: string; held: boolean }[];
}

export interface SandboxAlarm {
  readonly app: string;
  readonly arn: string;
  readonly region: string;
  readonly name: string;
  readonly state: string | null;
}
