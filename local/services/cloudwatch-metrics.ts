/**
 * CloudWatch metrics, pure: datapoints, series keys, statistics over periods, and the Embedded Metric
 * Format (EMF) that Lambda functions write to their logs (Powertools Metrics), which CloudWatch turns
 * into metrics. Kept apart from the service so alarm evaluation can reuse `statistic` and `aggregate`.
 */

/** A metric dimension. */
export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** One stored datapoint: raw values (with counts) and/or a pre-aggregated statistic set. */
export interface Datapoint {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly values?: readonly number[];
  /** How many times each value occurred (default 1 each). */
  readonly counts?: readonly number[];
  readonly stats?: {
    readonly sampleCount: number;
    readonly sum: number;
    readonly min: number;
    readonly max: number;
  };
  readonly unit?: string;
}

/** A metric (namespace, name, dimensions) and its datapoints, oldest first. */
export interface MetricSeries {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name, so equal dimension sets make equal keys. */
  readonly dimensions: readonly Dimension[];
  readonly points: readonly Datapoint[];
}

/** The identity of a metric as a string key. */
export function seriesKey(namespace: string, metricName: string, dimensions: readonly Dimension[]): string {
  return JSON.stringify([namespace, metricName, sortDimensions(dimensions).map((d) => [d.Name, d.Value])]);
}

/** Dimensions in name order. */
export function sortDimensions(dimensions: readonly Dimension[]): Dimension[] {
  return [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

/** Statistics GetMetricData accepts here: the five basic ones and percentiles pNN / pNN.NN. */
export function isSupportedStat(stat: string): boolean {
  return /^(Average|Sum|Minimum|Maximum|SampleCount|p(\d{1,2}(\.\d{1,2})?|100))$/.test(stat);
}

/** A statistic of the datapoints in one period; undefined when nothing can be computed (no data). */
export function statistic(points: readonly Datapoint[], stat: string): number | undefined {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const raw: { value: number; count: number }[] = [];
  for (const p of points) {
    (p.values ?? []).forEach((value, i) => {
      const c = p.counts?.[i] ?? 1;
      raw.push({ value, count: c });
      count += c;
      sum += value * c;
      min = Math.min(min, value);
      max = Math.max(max, value);
    });
    if (p.stats !== undefined) {
      count += p.stats.sampleCount;
      sum += p.stats.sum;
      min = Math.min(min, p.stats.min);
      max = Math.max(max, p.stats.max);
    }
  }
  if (count === 0) return undefined;
  switch (stat) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
  }
  const p = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  if (p?.[1] === undefined || raw.length === 0) return undefined;
  // Nearest rank over the raw values (weighted by counts); statistic sets cannot give percentiles.
  const sorted = raw.sort((a, b) => a.value - b.value);
  const total = sorted.reduce((n, r) => n + r.count, 0);
  const rank = Math.max(1, Math.ceil((Number(p[1]) / 100) * total));
  let seen = 0;
  for (const r of sorted) {
    seen += r.count;
    if (seen >= rank) return r.value;
  }
  return sorted[sorted.length - 1]?.value;
}

/**
 * One value per period that has data, in [startMs, endMs), periods aligned to multiples of the period
 * (as CloudWatch aligns them); newest first, as GetMetricData answers by default.
 */
export function aggregate(
  points: readonly Datapoint[],
  stat: string,
  periodSeconds: number,
  startMs: number,
  endMs: number,
  unit?: string,
): { timestamps: number[]; values: number[] } {
  const periodMs = periodSeconds * 1000;
  const buckets = new Map<number, Datapoint[]>();
  for (const p of points) {
    if (p.t < startMs || p.t >= endMs || (unit !== undefined && (p.unit ?? 'None') !== unit)) continue;
    const bucket = Math.floor(p.t / periodMs) * periodMs;
    const list = buckets.get(bucket) ?? [];
    list.push(p);
    buckets.set(bucket, list);
  }
  const timestamps: number[] = [];
  const values: number[] = [];
  for (const bucket of [...buckets.keys()].sort((a, b) => b - a)) {
    const value = statistic(buckets.get(bucket) ?? [], stat);
    if (value === undefined) continue;
    timestamps.push(bucket);
    values.push(value);
  }
  return { timestamps, values };
}

/** One metric value an EMF log line declares. */
export interface EmfDatum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly unit?: string;
  /** Epoch milliseconds (`_aws.Timestamp`). */
  readonly timestamp: number;
  readonly values: readonly number[];
}

/**
 * The metrics an Embedded Metric Format line declares; [] for any other line. Lines may carry a prefix
 * before the JSON (a log runtime's timestamp and request id). Every dimension set of a directive makes a
 * separate metric, as CloudWatch does; a set naming a missing or non-string member is skipped.
 */
export function parseEmf(line: string, now: number = Date.now()): EmfDatum[] {
  const brace = line.indexOf('{');
  if (brace < 0 || !line.includes('"_aws"')) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(line.slice(brace));
  } catch {
    return [];
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const record = doc as Record<string, unknown>;
  const aws = record._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (aws === undefined || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : now;
  const out: EmfDatum[] = [];
  for (const directive of aws.CloudWatchMetrics as unknown[]) {
    if (directive === null || typeof directive !== 'object') continue;
    const { Namespace, Dimensions, Metrics } = directive as Record<string, unknown>;
    if (typeof Namespace !== 'string' || !Array.isArray(Metrics)) continue;
    const dimensionSets =
      Array.isArray(Dimensions) && Dimensions.length > 0 ? (Dimensions as unknown[]) : [[]];
    for (const set of dimensionSets) {
      if (!Array.isArray(set)) continue;
      const dimensions: Dimension[] = [];
      let valid = true;
      for (const name of set as unknown[]) {
        const value = typeof name === 'string' ? record[name] : undefined;
        if (typeof name !== 'string' || typeof value !== 'string') {
          valid = false;
          break;
        }
        dimensions.push({ Name: name, Value: value });
      }
      if (!valid) continue;
      for (const metric of Metrics as unknown[]) {
        if (metric === null || typeof metric !== 'object') continue;
        const { Name, Unit } = metric as Record<string, unknown>;
        if (typeof Name !== 'string') continue;
        const raw = record[Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter(
          (v): v is number => typeof v === 'number' && Number.isFinite(v),
        );
        if (values.length === 0) continue;
        out.push({
          namespace: Namespace,
          metricName: Name,
          dimensions: sortDimensions(dimensions),
          ...(typeof Unit === 'string' ? { unit: Unit } : {}),
          timestamp,
          values,
        });
      }
    }
  }
  return out;
}
