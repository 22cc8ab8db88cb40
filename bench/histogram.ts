/**
 * Latencies in microseconds, counted in buckets 1 % wide (log scale), so that millions of
 * samples cost a fixed array and no sort.
 */
const STEPS_PER_E = 100; // bucket i holds us with round(ln(1 + us) * 100) = i

export class Histogram {
  readonly #buckets = new Float64Array(Math.ceil(Math.log1p(600e6) * STEPS_PER_E) + 1);
  count = 0;
  max = 0;

  add(us: number): void {
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; a negative or NaN time counts as 0
    const v = us > 0 ? us : 0;
    const i = Math.min(this.#buckets.length - 1, Math.round(Math.log1p(v) * STEPS_PER_E));
    this.#buckets[i]! += 1;
    this.count += 1;
    if (v > this.max) this.max = v;
  }

  /** The P-quantile (0..1), in µs; null without samples. */
  quantile(p: number): number | null {
    if (this.count === 0) return null;
    const want = p * this.count;
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen >= want) return Math.min(this.max, Math.round(Math.expm1(i / STEPS_PER_E)));
    }
    return this.max;
  }
}
