/**
 * AWS list prices the cost model uses: us-east-1, on-demand, no free tier, as published on the AWS
 * pricing pages (aws.amazon.com/<service>/pricing) in 2025. This machine has no network, so they were
 * not re-read at run time; every figure the benchmark prints names the prices it used.
 */

/** Where and when the prices come from. */
export const PRICE_SOURCE = {
  region: 'us-east-1',
  asOf: '2025 (AWS public price pages; not re-checked from this machine, which has no network)',
  freeTier: 'ignored (every figure is what a bill would show without it)',
} as const;

/** Prices in US dollars. */
export const PRICES = {
  /** Step Functions Standard: per state transition ($0.025 per 1,000). */
  standardTransition: 0.025 / 1000,
  /** Step Functions Express: per request ($1.00 per million). */
  expressRequest: 1.0 / 1_000_000,
  /** Step Functions Express: per GB-second of duration (first 1,000 GB-hours a month). */
  expressGbSecond: 0.00001667,
  /** Express bills memory in 64 MB steps and duration in 100 ms steps, at least 100 ms. */
  expressMemoryStepMb: 64,
  expressDurationStepMs: 100,
  /** Lambda: per request ($0.20 per million). */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda x86: per GB-second. The stacks deploy arm64, 20% cheaper per GB-second; x86 is used to stay on the safe side. */
  lambdaGbSecondX86: 0.0000166667,
  /** Lambda arm64: per GB-second (what the stacks deploy). */
  lambdaGbSecondArm: 0.0000133334,
  /** EventBridge Scheduler: per invocation ($1.00 per million, after 14 million free a month). */
  schedulerInvocation: 1.0 / 1_000_000,
  /** API Gateway REST API: per request ($3.50 per million, first 333 million). */
  apiGatewayRestRequest: 3.5 / 1_000_000,
  /** CloudFront: per HTTPS request, North America ($0.0100 per 10,000). */
  cloudFrontHttpsRequest: 0.01 / 10_000,
  /** Secrets Manager: per API call ($0.05 per 10,000). */
  secretsManagerApiCall: 0.05 / 10_000,
  /** CloudWatch: per custom metric per month (first 10,000 metrics). */
  cloudWatchMetricMonth: 0.3,
  /** CloudWatch: per standard-resolution alarm metric per month. */
  cloudWatchAlarmMonth: 0.1,
  /** CloudWatch Logs: per GB ingested. */
  cloudWatchLogsIngestGb: 0.5,
} as const;

/** Hours in a month as AWS prices them. */
export const HOURS_PER_MONTH = 730;
