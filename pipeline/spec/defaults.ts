/**
 * Every default of the rollout spec, written once. The README's "Default settings" section mirrors this
 * file, and a test keeps the two in agreement.
 */
export const SPEC_DEFAULTS = {
  /** HF_MODEL_REVISION when the spec gives none. Pinning a commit sha is better; "main" moves. */
  modelRevision: 'main',
  /** HuggingFace DLC versions: the newest combination known to the image resolver. */
  image: { transformers: '4.49.0', pytorch: '2.6.0', python: 'py312', device: 'cpu' },
  endpoint: { instanceType: 'ml.m5.xlarge', initialInstanceCount: 1 },
  serverless: { memorySizeMb: 4096, maxConcurrency: 5 },
  smokeTest: { contentType: 'application/json', accept: 'application/json', status: 200, maxLatencyMs: 5000 },
  rollout: {
    pollIntervalSeconds: 30,
    maxWaitMinutes: 60,
    keepPreviousEndpoints: 1,
    verifyPublicUrl: true,
  },
  /** Scheduled health checks of the live deployment; automatic rollback is opt-in. */
  healthCheck: { autoRollback: false, failuresBeforeRollback: 3 },
} as const;

/**
 * Size caps of a rollout spec, in bytes of UTF-8 JSON. The rollout carries the validated spec (with its
 * defaults) in its Step Functions state, which holds 256 KiB in all, next to smoke results, timings and
 * the live pointer; these caps keep the whole state far below that (see test/lambdas/shared/state-size.test.ts).
 */
export const SPEC_LIMITS = {
  /** One smoke test's `body`, as JSON. */
  maxSmokeBodyBytes: 16 * 1024,
  /** The whole spec as JSON, defaults filled in. */
  maxSpecBytes: 64 * 1024,
} as const;
