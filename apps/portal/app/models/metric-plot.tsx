'use client';

export interface Point {
  label: string;
  time: number;
  value: number;
}

const W = 560;
const H = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

/** One metric over time as an SVG line with labelled points; small enough to need no charting library. */
export function MetricPlot({ title, points }: { title: string; points: Point[] }) {
  if (points.length === 0) return <p className="muted">No values of {title} yet.</p>;
  const sorted = [...points].sort((a, b) => a.time - b.time);
  const t0 = sorted[0].time;
  const t1 = sorted[sorted.length - 1].time;
  const values = sorted.map((p) => p.value);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const x = (t: number) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const path = sorted.map((p, i) => `${i ? 'L' : 'M'}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  return (
    <figure style={{ margin: 0 }}>
      <svg width={W} height={H} role="img" aria-label={`${title} over time: ${sorted.map((p) => `${p.label} ${p.value.toPrecision(3)}`).join(', ')}`} style={{ maxWidth: '100%' }}>
        <rect x={0} y={0} width={W} height={H} fill="#0d1115" rx={6} />
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} stroke="#5a6573" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} stroke="#5a6573" />
        <text x={PAD.left - 6} y={y(hi) + 4} textAnchor="end" fill="#a9b4bf" fontSize={11}>{hi.toPrecision(3)}</text>
        <text x={PAD.left - 6} y={y(lo) + 4} textAnchor="end" fill="#a9b4bf" fontSize={11}>{lo.toPrecision(3)}</text>
        <text x={PAD.left} y={H - 8} fill="#a9b4bf" fontSize={11}>{new Date(t0).toISOString().slice(0, 16).replace('T', ' ')}</text>
        <text x={W - PAD.right} y={H - 8} textAnchor="end" fill="#a9b4bf" fontSize={11}>{new Date(t1).toISOString().slice(0, 16).replace('T', ' ')}</text>
        <path d={path} fill="none" stroke="#ffb454" strokeWidth={2} />
        {sorted.map((p) => (
          <circle key={p.label} cx={x(p.time)} cy={y(p.value)} r={4} fill="#7cc4ff">
            <title>{`${p.label}: ${p.value}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="muted small">{title} per version, in order of registration</figcaption>
    </figure>
  );
}
