import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One point of the RTO/RPO chart. */
export interface RecoveryPoint {
  /** Epoch seconds. */
  readonly at: number;
  readonly rto: number | null;
  readonly rpo: number | null;
}

/**
 * RTO and RPO over time with their objectives, drawn by uPlot. The figures are also in the table
 * next to it: the chart is a picture of them, described by its label.
 */
export function RecoveryChart({
  points,
  rtoObjective,
  rpoObjective,
  label,
}: {
  points: readonly RecoveryPoint[];
  rtoObjective: number;
  rpoObjective: number;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el || points.length === 0) return;
    const xs = points.map((p) => p.at);
    const data: uPlot.AlignedData = [
      xs,
      points.map((p) => p.rto),
      points.map((p) => p.rpo),
      xs.map(() => rtoObjective),
      xs.map(() => rpoObjective),
    ];
    const plot = new uPlot(
      {
        width: Math.max(320, Math.min(900, el.clientWidth || 700)),
        height: 240,
        scales: { x: { time: true } },
        axes: [{}, { label: 'seconds' }],
        series: [
          {},
          { label: 'RTO (s)', stroke: '#1d4ed8', width: 2, points: { show: true, size: 7 } },
          { label: 'RPO (s)', stroke: '#b45309', width: 2, dash: [6, 3], points: { show: true, size: 7 } },
          { label: 'RTO objective', stroke: '#1d4ed8', width: 1, dash: [2, 4], points: { show: false } },
          { label: 'RPO objective', stroke: '#b45309', width: 1, dash: [2, 4], points: { show: false } },
        ],
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [points, rtoObjective, rpoObjective]);
  return <div ref={host} class="chart" role="img" aria-label={label} />;
}
