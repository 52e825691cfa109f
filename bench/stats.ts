// Small statistics and formatting helpers for the benchmarks: medians, percentiles, a text table.

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Percentile by linear interpolation between closest ranks (p in 0..100). NaN for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

export function kB(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

export interface Row {
  section: string;
  metric: string;
  value: string;
  runs: string;
  note?: string;
}

export function table(rows: readonly Row[]): string {
  const head: Row = { section: 'benchmark', metric: 'metric', value: 'value', runs: 'runs', note: 'note' };
  const all = [head, ...rows];
  const w = {
    section: Math.max(...all.map((r) => r.section.length)),
    metric: Math.max(...all.map((r) => r.metric.length)),
    value: Math.max(...all.map((r) => r.value.length)),
    runs: Math.max(...all.map((r) => r.runs.length)),
  };
  const line = (r: Row) =>
    [r.section.padEnd(w.section), r.metric.padEnd(w.metric), r.value.padStart(w.value), r.runs.padStart(w.runs), r.note ?? '']
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(w.section + w.metric + w.value + w.runs + 8 + 20);
  const out = [line(head), rule];
  let last = '';
  for (const r of rows) {
    out.push(line(r.section === last ? { ...r, section: '' } : r));
    last = r.section;
  }
  return out.join('\n');
}
