import type { LoadResult } from './load-config.js';

/** Median of the finite numbers; NaN if none. */
export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One scenario's runs (one per round) folded into one: figures are medians, failures add up. */
export interface Summary {
  runs: number;
  perSecond: number;
  perCpuSecond: number;
  serverCpuPct: number;
  loadCpuPct: number;
  p50Us: number;
  p99Us: number;
  kibPerConnection: number;
  lost: number;
  misrouted: number;
  dropped: number;
  errors: string[];
  /**
   * Each round's run alone, in the order of the rounds: a ratio is taken round by round, each
   * against the other case's run of the same round (report.ts, pairedRatio).
   */
  each?: Summary[];
}

export function summarise(runs: LoadResult[]): Summary {
  return { ...fold(runs), each: runs.map((r) => fold([r])) };
}

function fold(runs: LoadResult[]): Summary {
  const m = (pick: (r: LoadResult) => number | null | undefined): number => median(runs.map((r) => pick(r) ?? NaN));
  const sum = (pick: (r: LoadResult) => number): number => runs.reduce((s, r) => s + pick(r), 0);
  return {
    runs: runs.length,
    perSecond: m((r) => r.perSecond),
    perCpuSecond: m((r) => r.perCpuSecond),
    serverCpuPct: m((r) => r.serverCpuPct),
    loadCpuPct: m((r) => r.loadCpuPct),
    p50Us: m((r) => r.p50Us),
    p99Us: m((r) => r.p99Us),
    kibPerConnection: m((r) => r.kibPerConnection),
    lost: sum((r) => r.lost),
    misrouted: sum((r) => r.misrouted),
    dropped: sum((r) => r.dropped),
    errors: runs.flatMap((r) => (r.error ? [r.error] : [])),
  };
}
