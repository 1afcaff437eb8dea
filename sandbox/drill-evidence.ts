import type { DrillReport } from '../functions/aws/state-store.js';
import type { GroundTruth } from './truth.js';

/**
 * What users of a drill's app experienced during the drill, by the sandbox's ground truth
 * (`sandbox/truth.ts`): not what the control plane claims. Only the sandbox has it; in AWS the
 * evidence has no such field. Times are virtual (ISO 8601, UTC).
 */
export interface DrillGroundTruth {
  readonly source: 'sandbox ground truth';
  /** The drill's window: its start, and its report's finish (or now, while it runs). */
  readonly from: string;
  readonly to: string;
  /**
   * Seconds, in all, during which users of the app were not served, from the window's start to
   * the end of the last outage that began within it (which may outlast the drill: DNS caches).
   */
  readonly outageSeconds: number;
  /** Each outage; `ongoing` when it had not ended when the evidence was read. */
  readonly outages: readonly {
    readonly from: string;
    readonly to: string;
    readonly seconds: number;
    readonly ongoing?: true;
  }[];
}

/**
 * The ground truth for `report`'s window (`at` to `detail.finishedAt`; a drill still running ends
 * at `nowMs`): every outage of its app that overlaps the window.
 */
export function drillGroundTruth(
  truth: Pick<GroundTruth, 'outagesWithin'>,
  report: Pick<DrillReport, 'app' | 'at' | 'detail'>,
  nowMs: number,
): DrillGroundTruth {
  const fromMs = Date.parse(report.at);
  const finishedAt = report.detail?.finishedAt;
  const toMs = typeof finishedAt === 'string' ? Date.parse(finishedAt) : nowMs;
  const outages = truth.outagesWithin(report.app, fromMs, toMs).map((o) => ({
    from: new Date(o.fromMs).toISOString(),
    to: new Date(o.toMs).toISOString(),
    seconds: Math.round(o.toMs - o.fromMs) / 1000,
    ...(o.ongoing ? { ongoing: true as const } : {}),
  }));
  return {
    source: 'sandbox ground truth',
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    outageSeconds: Math.round(outages.reduce((sum, o) => sum + o.seconds, 0) * 1000) / 1000,
    outages,
  };
}
