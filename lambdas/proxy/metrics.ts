/**
 * Per-request metrics of the proxy as one Embedded Metric Format line on stdout, the way CloudWatch
 * (and the local cloud) read metrics from Lambda logs. Written by hand rather than with Powertools
 * Metrics to keep the proxy's cold start small.
 */

/** What one answered inference request measured. */
export interface RequestMetrics {
  readonly service: string;
  /** Time spent in InvokeEndpoint. */
  readonly modelLatencyMs: number;
  /** Time spent in the proxy around it (parsing, checks, SSM fallback, encoding). */
  readonly proxyOverheadMs: number;
}

/** Namespace used when POWERTOOLS_METRICS_NAMESPACE is unset. */
export const DEFAULT_METRICS_NAMESPACE = 'HfRollout';

/** The EMF document for one request (namespace HfRollout, dimension Service). */
export function metricsDocument(metrics: RequestMetrics, namespace: string, timestamp: number): object {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['Service']],
          Metrics: [
            { Name: 'ModelLatency', Unit: 'Milliseconds' },
            { Name: 'ProxyOverhead', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Service: metrics.service,
    ModelLatency: metrics.modelLatencyMs,
    ProxyOverhead: metrics.proxyOverheadMs,
  };
}

/** Writes the request's metrics as one EMF line to stdout. */
export function emitRequestMetrics(metrics: RequestMetrics): void {
  const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE;
  process.stdout.write(`${JSON.stringify(metricsDocument(metrics, namespace, Date.now()))}\n`);
}
