import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api } from './client';
import type { HealthSeries } from '../api';

/** Health of a service over time: share of passed checks and latency, refreshed every few seconds. */
export function HealthChart({ service, minutes }: { service: string; minutes: number }) {
  const [series, setSeries] = useState<HealthSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let alive = true;
    const load = () =>
      api
        .health(service, minutes)
        .then((s) => alive && (setSeries(s), setError(null)))
        .catch((e: Error) => alive && setError(e.message));
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [service, minutes]);

  useEffect(() => {
    if (box.current === null || series === null || series.points.length === 0) return;
    const xs = series.points.map((p) => Date.parse(p.t) / 1000);
    const end = Date.now() / 1000;
    const success = series.points.map((p) => (p.success === null ? null : p.success * 100));
    const latency = series.points.map((p) => p.latencyMs);
    const plot = new uPlot(
      {
        width: Math.max(320, box.current.clientWidth),
        height: 180,
        // The whole window on the x axis: a lone point would otherwise get a range of years.
        scales: {
          x: { time: true, range: () => [end - minutes * 60, end] },
          pct: { range: [0, 100] },
          ms: { auto: true },
        },
        series: [
          {},
          { label: 'passed %', scale: 'pct', stroke: '#1a7f37', width: 2, points: { show: true } },
          { label: 'latency ms', scale: 'ms', stroke: '#0969da', width: 1.5, points: { show: true } },
        ],
        axes: [
          {},
          { scale: 'pct', label: '% passed' },
          { scale: 'ms', side: 1, label: 'ms', grid: { show: false } },
        ],
      },
      [xs, success, latency] as uPlot.AlignedData,
      box.current,
    );
    return () => plot.destroy();
  }, [series, minutes]);

  const points = series?.points.length ?? 0;
  return (
    <div
      class="health"
      data-testid="health-chart"
      data-points={points}
      data-period={series?.periodSeconds ?? ''}
    >
      {error !== null && <p class="error">Health metrics unavailable: {error}</p>}
      {series !== null && points === 0 && (
        <p class="muted">No health checks in the last {minutes} min yet.</p>
      )}
      <div ref={box} />
    </div>
  );
}
