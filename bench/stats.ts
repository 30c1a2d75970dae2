/**
 * The few statistics the benchmarks report: medians and nearest-rank percentiles over raw samples,
 * always with the number of samples, and ratios of medians. Means are not reported: on a shared
 * machine one descheduled sample moves a mean, not a median.
 */

/** What a benchmark reports about one set of samples. */
export interface Summary {
  /** Number of samples. */
  readonly n: number;
  readonly median: number;
  /** Nearest-rank 99th percentile (with fewer than 100 samples, the largest or close to it). */
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentile (`p` in [0, 100]) of samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be in [0, 100], got ${p}`);
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Median: the middle sample, or the mean of the two middle ones; NaN when there are none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Median, p99, min and max of samples, with their count. */
export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    p99: percentile(samples, 99),
    min: samples.length === 0 ? Number.NaN : Math.min(...samples),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

/** `a / b`, NaN when b is 0 or either is not finite. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/**
 * Runs `variants` in alternation (A, B, C, A, B, C, ...) for `rounds` rounds after `warmupRounds`
 * discarded ones, so that drift in the machine's load hits every variant alike. Returns the samples of
 * each variant by name, in run order.
 */
export async function alternate<T extends string>(
  variants: readonly { readonly name: T; readonly run: () => Promise<number> }[],
  rounds: number,
  warmupRounds = 1,
): Promise<Record<T, number[]>> {
  const samples = Object.fromEntries(variants.map((v) => [v.name, [] as number[]])) as Record<T, number[]>;
  for (let round = 0; round < warmupRounds + rounds; round += 1) {
    for (const variant of variants) {
      const value = await variant.run();
      if (round >= warmupRounds) samples[variant.name].push(value);
    }
  }
  return samples;
}
